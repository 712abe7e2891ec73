"""Run a real Home Assistant against the stand-in, from onboarding to images."""

from __future__ import annotations

from pathlib import Path
import sys

from aiohttp import ClientSession
import pytest

from tests.standin import GAME_OF_THRONES, StandIn, image_bytes

from .harness import (
    ENV_BASE_URL,
    HarnessError,
    HomeAssistantClient,
    HomeAssistantProcess,
    dashboard_config,
    entity_ids,
    free_port,
    link_integration,
    module_available,
    write_configuration,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

USER_ID = 51
CLIENT_ID = "e2e-client-id"


async def test_onboarding_config_flow_states_and_images(
    socket_enabled: None, tmp_path: Path
) -> None:
    """Onboard, add the entry, then read the sensor and both images through HA."""
    python = sys.executable
    if not module_available(python, "homeassistant"):
        pytest.skip(f"Home Assistant is not installed for {python}")
    if not module_available(python, "hass_frontend"):
        # Home Assistant treats the frontend as critical: without it, it starts
        # in recovery mode, with neither onboarding nor custom integrations.
        pytest.skip(
            "home-assistant-frontend is not installed for "
            f"{python}; scripts/setup installs it"
        )
    config_dir = tmp_path / "config"
    port = free_port()
    write_configuration(
        config_dir,
        port=port,
        integrations=("frontend",),
    )
    link_integration(config_dir)

    async with StandIn() as standin:
        hass = HomeAssistantProcess(
            config_dir,
            port=port,
            python=python,
            env={ENV_BASE_URL: standin.url},
            skip_pip=True,
            output=tmp_path / "output.log",
        )
        hass.start()
        try:
            async with ClientSession() as session:
                client = HomeAssistantClient(hass.url, session)
                await _exercise(client, hass, standin)
        except (AssertionError, HarnessError, TimeoutError) as err:
            pytest.fail(f"{err}\n{hass.log_tail()}")
        finally:
            hass.stop()


async def _exercise(
    client: HomeAssistantClient,
    hass: HomeAssistantProcess,
    standin: StandIn,
) -> None:
    """Drive Home Assistant through the whole path a newcomer's instance takes."""
    await client.wait_until_up(process=hass)
    assert await client.onboard(), "a new instance should need onboarding"
    assert await client.onboarding_done()
    await client.wait_until_running()

    entry = await client.add_simkl_entry(CLIENT_ID, USER_ID)
    assert entry is not None
    assert entry["title"] == f"Simkl {USER_ID}"
    assert entry["state"] == "loaded"

    ids = entity_ids(USER_ID)
    state = await client.wait_for_state(ids["sensor"], GAME_OF_THRONES.title)
    assert state["attributes"]["simkl_id"] == GAME_OF_THRONES.id
    assert state["attributes"]["url"] == GAME_OF_THRONES.url
    assert await client.add_simkl_entry(CLIENT_ID, USER_ID) is None

    for role, folder, key in (
        ("poster", "posters", GAME_OF_THRONES.poster),
        ("fanart", "fanart", GAME_OF_THRONES.fanart),
    ):
        assert key is not None
        status, content_type, body = await client.fetch(f"/api/image_proxy/{ids[role]}")
        assert status == 200, f"{ids[role]} answered {status}"
        assert content_type == "image/jpeg"
        assert body == image_bytes(folder, key), f"{ids[role]} is not the stand-in JPG"

    api_requests = [
        record
        for record in standin.state.records
        if record.path == f"/users/recently-watched-background/{USER_ID}"
    ]
    assert api_requests, "Home Assistant never asked the stand-in"
    assert all(record.client_id_via == "header" for record in api_requests)
    assert all(record.app_name and record.app_version for record in api_requests)

    assert await client.install_dashboard(dashboard_config(USER_ID))
    assert await client.dashboard() == dashboard_config(USER_ID)
    assert not await client.install_dashboard(dashboard_config(USER_ID))

    status, content_type, _ = await client.fetch("/")
    assert (status, content_type) == (200, "text/html")
