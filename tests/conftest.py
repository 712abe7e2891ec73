"""Fixtures for the Simkl integration tests."""

from __future__ import annotations

from collections.abc import Generator
import json
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_CLIENT_ID
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.simkl.api import RecentlyWatched, Simkl
from custom_components.simkl.api.client import IMAGE_HOSTS
from custom_components.simkl.const import CONF_USER_ID, DOMAIN

FIXTURES = Path(__file__).parent / "fixtures"
CLIENT_ID = "test-client-id-0c1d"
USER_ID = 51


def load_json(name: str) -> Any:
    """Return a decoded JSON fixture."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def load_item(name: str = "recently_watched.json") -> RecentlyWatched | None:
    """Return the model of a JSON fixture."""
    return RecentlyWatched.from_json(load_json(name), IMAGE_HOSTS)


async def next_poll(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Move time to the next scheduled poll and let it, and what it starts, finish."""
    coordinator = hass.config_entries.async_entries(DOMAIN)[0].runtime_data
    freezer.tick(coordinator.update_interval)
    async_fire_time_changed(hass)
    await hass.async_block_till_done()


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    enable_custom_integrations: None,
) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Return a snapshot assertion that serialises Home Assistant objects."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def mock_config_entry() -> MockConfigEntry:
    """Return a Simkl config entry for user 51."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Simkl {USER_ID}",
        unique_id=str(USER_ID),
        data={CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: USER_ID},
    )


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Stop config flow tests from setting up the entry they create."""
    with patch(
        "custom_components.simkl.async_setup_entry", return_value=True
    ) as mock_setup:
        yield mock_setup


@pytest.fixture
def mock_simkl() -> Generator[MagicMock]:
    """Return a mocked Simkl client that answers with the documented example."""
    renderer = Simkl("unused", session=MagicMock(), app_name="test", app_version="0")
    with patch(
        "custom_components.simkl.coordinator.Simkl", autospec=True
    ) as simkl_class:
        client = simkl_class.return_value
        client.recently_watched.return_value = load_item()
        client.image_url.side_effect = renderer.image_url
        client.image.return_value = ("image/jpeg", b"\xff\xd8poster\xff\xd9")
        yield client


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_simkl: MagicMock
) -> MockConfigEntry:
    """Set up the integration with the mocked client."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry
