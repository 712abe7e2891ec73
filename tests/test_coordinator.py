"""Tests for the Simkl coordinator: failures, recovery and back-off."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.simkl.api import (
    SimklAuthenticationError,
    SimklConnectionError,
    SimklInvalidResponseError,
    SimklNotFoundError,
    SimklRateLimitError,
)
from custom_components.simkl.const import (
    CONF_FANART_SIZE,
    CONF_POSTER_SIZE,
    CONF_SCAN_INTERVAL,
    DOMAIN,
    TOLERATED_FAILURES,
)

from .conftest import load_item, next_poll

SENSOR = "sensor.simkl_51_recently_watched"
ENTITIES = (SENSOR, "image.simkl_51_poster", "image.simkl_51_fanart")
INTERVAL = timedelta(minutes=5)


def _state(hass: HomeAssistant, entity_id: str = SENSOR) -> str:
    """Return an entity's state."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state.state


@pytest.mark.usefixtures("init_integration")
@pytest.mark.parametrize(
    "side_effect",
    [
        SimklConnectionError("down"),
        SimklRateLimitError("slow down"),
        SimklInvalidResponseError("garbage"),
    ],
)
async def test_coordinator_recovers(
    hass: HomeAssistant,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
    side_effect: Exception,
) -> None:
    """Test hiccups keep the item, then make entities unavailable, then recover."""
    mock_simkl.recently_watched.side_effect = side_effect
    for _ in range(TOLERATED_FAILURES):
        await next_poll(hass, freezer)
        assert _state(hass) == "Game of Thrones"

    await next_poll(hass, freezer)
    for entity_id in ENTITIES:
        assert _state(hass, entity_id) == STATE_UNAVAILABLE

    mock_simkl.recently_watched.side_effect = None
    mock_simkl.recently_watched.return_value = load_item("recently_watched_movie.json")
    await next_poll(hass, freezer)
    assert _state(hass) == "Inception"
    for entity_id in ENTITIES:
        assert _state(hass, entity_id) != STATE_UNAVAILABLE


async def test_backoff_is_capped(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Test failures stretch the interval up to four times, then reset."""
    coordinator = init_integration.runtime_data
    mock_simkl.recently_watched.side_effect = SimklConnectionError("down")
    seen = []
    for _ in range(5):
        await next_poll(hass, freezer)
        seen.append(coordinator.update_interval)
    assert seen == [INTERVAL, INTERVAL * 2, INTERVAL * 4, INTERVAL * 4, INTERVAL * 4]

    mock_simkl.recently_watched.side_effect = None
    await next_poll(hass, freezer)
    assert coordinator.update_interval == INTERVAL


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [(900.0, timedelta(seconds=900)), (10.0, INTERVAL)],
)
async def test_rate_limit_retry_after(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
    retry_after: float,
    expected: timedelta,
) -> None:
    """Test Retry-After sets the next poll, never sooner than the interval."""
    mock_simkl.recently_watched.side_effect = SimklRateLimitError("slow", retry_after)
    await next_poll(hass, freezer)
    assert init_integration.runtime_data.update_interval == expected
    calls = mock_simkl.recently_watched.await_count

    freezer.tick(expected - timedelta(seconds=30))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert mock_simkl.recently_watched.await_count == calls


async def test_profile_not_found_repair(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Test a 404 raises a repair issue, slows polling and clears on recovery."""
    mock_simkl.recently_watched.side_effect = SimklNotFoundError("private")
    await next_poll(hass, freezer)
    assert _state(hass) == STATE_UNAVAILABLE
    issue = issue_registry.async_get_issue(DOMAIN, "profile_not_found_51")
    assert issue is not None
    assert issue.translation_key == "profile_not_found"
    assert issue.translation_placeholders == {
        "user_id": "51",
        "profile_url": "https://simkl.com/51/",
    }
    assert init_integration.runtime_data.update_interval == INTERVAL * 4

    mock_simkl.recently_watched.side_effect = None
    await next_poll(hass, freezer)
    assert _state(hass) == "Game of Thrones"
    assert issue_registry.async_get_issue(DOMAIN, "profile_not_found_51") is None
    assert init_integration.runtime_data.update_interval == INTERVAL


async def test_auth_failure_starts_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Test a rejected client_id while polling acts at once and starts reauth."""
    mock_simkl.recently_watched.side_effect = SimklAuthenticationError("rejected")
    await next_poll(hass, freezer)
    assert _state(hass) == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_options_apply_without_reload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
) -> None:
    """Test new options change the interval and image URLs of the running entry."""
    coordinator = init_integration.runtime_data
    hass.config_entries.async_update_entry(
        init_integration,
        options={
            CONF_SCAN_INTERVAL: 20,
            CONF_POSTER_SIZE: "medium",
            CONF_FANART_SIZE: "small",
        },
    )
    await hass.async_block_till_done()
    assert init_integration.runtime_data is coordinator
    assert coordinator.update_interval == timedelta(minutes=20)
    state = hass.states.get(SENSOR)
    assert state is not None
    assert state.attributes["poster_url"].endswith("/17/17465posterkey_m.jpg")
    assert state.attributes["fanart_url"].endswith("/17/17465fanartkey_mobile.jpg")
    assert mock_simkl.recently_watched.await_count == 1


@pytest.mark.parametrize(
    "error", [SimklNotFoundError("private"), SimklAuthenticationError("rejected")]
)
async def test_hiccup_after_hard_failure_keeps_unavailable(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
    error: Exception,
) -> None:
    """Test a hiccup after a 404 or rejected client_id does not revive old data."""
    mock_simkl.recently_watched.side_effect = error
    await next_poll(hass, freezer)
    assert _state(hass) == STATE_UNAVAILABLE

    mock_simkl.recently_watched.side_effect = SimklConnectionError("down")
    await init_integration.runtime_data.async_refresh()
    await hass.async_block_till_done()
    for entity_id in ENTITIES:
        assert _state(hass, entity_id) == STATE_UNAVAILABLE


async def test_new_interval_applies_to_next_poll(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Test a shorter interval takes effect from now, not after the old one."""
    hass.config_entries.async_update_entry(
        init_integration,
        options={CONF_SCAN_INTERVAL: 1, CONF_POSTER_SIZE: "full"},
    )
    await hass.async_block_till_done()
    for polls in (2, 3):
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert mock_simkl.recently_watched.await_count == polls
