"""Tests for the Simkl poster and fanart images."""

from __future__ import annotations

from http import HTTPStatus
from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.simkl.api import SimklConnectionError

from .conftest import CLIENT_ID, load_item, load_json, next_poll

API = "https://api.simkl.com/users/recently-watched-background/51"
POSTER = "https://simkl.net/posters/17/17465posterkey_0.jpg"
FANART = "https://simkl.net/fanart/17/17465fanartkey_0.jpg"
MOVIE_POSTER = "https://simkl.net/posters/53/53992posterkey_0.jpg"
POSTER_JPG = b"\xff\xd8\xff\xe0poster-got\xff\xd9"
FANART_JPG = b"\xff\xd8\xff\xe0fanart-got\xff\xd9"
MOVIE_JPG = b"\xff\xd8\xff\xe0poster-inception\xff\xd9"


def _image_calls(aioclient_mock: AiohttpClientMocker, url: str) -> int:
    """Return how many requests went to an image URL."""
    return sum(1 for call in aioclient_mock.mock_calls if str(call[1]) == url)


@pytest.fixture
def simkl_http(aioclient_mock: AiohttpClientMocker) -> AiohttpClientMocker:
    """Answer the API and the image host like Simkl does."""
    aioclient_mock.get(API, json=load_json("recently_watched.json"))
    aioclient_mock.get(
        POSTER, content=POSTER_JPG, headers={"Content-Type": "image/jpeg"}
    )
    aioclient_mock.get(
        FANART, content=FANART_JPG, headers={"Content-Type": "image/jpeg"}
    )
    aioclient_mock.get(
        MOVIE_POSTER, content=MOVIE_JPG, headers={"Content-Type": "image/jpeg"}
    )
    return aioclient_mock


async def test_image_fetched_once_per_item(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    simkl_http: AiohttpClientMocker,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Test the proxy serves Simkl's JPG, downloading it once per item change."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client()

    first = hass.states.get("image.simkl_51_poster")
    assert first is not None
    for _ in range(3):
        response = await client.get("/api/image_proxy/image.simkl_51_poster")
        assert response.status == HTTPStatus.OK
        assert response.content_type == "image/jpeg"
        assert await response.read() == POSTER_JPG
    assert _image_calls(simkl_http, POSTER) == 1
    response = await client.get("/api/image_proxy/image.simkl_51_fanart")
    assert await response.read() == FANART_JPG

    # The same item again: no new download, no new image timestamp.
    await next_poll(hass, freezer)
    response = await client.get("/api/image_proxy/image.simkl_51_poster")
    assert await response.read() == POSTER_JPG
    assert _image_calls(simkl_http, POSTER) == 1
    unchanged = hass.states.get("image.simkl_51_poster")
    assert unchanged is not None
    assert unchanged.state == first.state

    # Another item: the timestamp moves and the new poster is downloaded once.
    simkl_http.clear_requests()
    simkl_http.get(API, json=load_json("recently_watched_movie.json"))
    simkl_http.get(
        MOVIE_POSTER, content=MOVIE_JPG, headers={"Content-Type": "image/jpeg"}
    )
    await next_poll(hass, freezer)
    changed = hass.states.get("image.simkl_51_poster")
    assert changed is not None
    assert changed.state != first.state
    for _ in range(2):
        response = await client.get("/api/image_proxy/image.simkl_51_poster")
        assert await response.read() == MOVIE_JPG
    assert _image_calls(simkl_http, MOVIE_POSTER) == 1

    # The client_id travels in a header to the API only, never in a URL.
    for call in simkl_http.mock_calls:
        assert CLIENT_ID not in str(call[1])


async def test_image_request_headers(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    simkl_http: AiohttpClientMocker,
) -> None:
    """Test API calls carry the client_id header and image calls do not."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client()
    await client.get("/api/image_proxy/image.simkl_51_poster")

    api_call, image_call = simkl_http.mock_calls[0], simkl_http.mock_calls[-1]
    assert api_call[1].query["app-name"] == "home-assistant-simkl"
    assert api_call[3]["simkl-api-key"] == CLIENT_ID
    assert api_call[3]["User-Agent"].startswith("home-assistant-simkl/")
    assert str(image_call[1]) == POSTER
    assert "simkl-api-key" not in image_call[3]


async def test_no_image_for_item(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    aioclient_mock: AiohttpClientMocker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Test an item without fanart serves no picture and logs no error."""
    body = load_json("recently_watched.json") | {"fanart": None}
    aioclient_mock.get(API, json=body)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get("image.simkl_51_fanart")
    assert state is not None
    assert state.state == "unknown"
    assert "entity_picture" not in state.attributes
    client = await hass_client()
    response = await client.get("/api/image_proxy/image.simkl_51_fanart")
    assert response.status == HTTPStatus.INTERNAL_SERVER_ERROR
    assert len(aioclient_mock.mock_calls) == 1
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_image_download_failure_is_retried(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mock_config_entry: MockConfigEntry,
    mock_simkl: MagicMock,
) -> None:
    """Test a failed download serves nothing and the next view tries again."""
    mock_simkl.image.side_effect = SimklConnectionError("down")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client()

    response = await client.get("/api/image_proxy/image.simkl_51_poster")
    assert response.status == HTTPStatus.INTERNAL_SERVER_ERROR

    mock_simkl.image.side_effect = None
    response = await client.get("/api/image_proxy/image.simkl_51_poster")
    assert response.status == HTTPStatus.OK
    assert mock_simkl.image.await_count == 2
    assert load_item() is not None
