"""Tests for the Simkl watched event."""

from __future__ import annotations

from unittest.mock import MagicMock

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.event import async_track_state_change_event
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.simkl.api import SimklConnectionError

from .conftest import load_item, next_poll

EVENT = "event.simkl_51_watched"


@pytest.fixture
def fired(hass: HomeAssistant) -> list[dict[str, object]]:
    """Collect the attributes of every event the entity fires."""
    events: list[dict[str, object]] = []
    seen: set[str] = {STATE_UNKNOWN, STATE_UNAVAILABLE}

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        """Record a fired event: a state (its timestamp) never seen before."""
        new = event.data["new_state"]
        if new is not None and new.state not in seen:
            seen.add(new.state)
            events.append(dict(new.attributes))

    async_track_state_change_event(hass, EVENT, _record)
    return events


async def test_fires_once_per_new_item(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
    fired: list[dict[str, object]],
) -> None:
    """Test the event fires once for each different item, never at start-up."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(EVENT)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes["event_types"] == ["watched"]

    await next_poll(hass, freezer)
    assert fired == []

    mock_simkl.recently_watched.return_value = load_item("recently_watched_movie.json")
    await next_poll(hass, freezer)
    await next_poll(hass, freezer)
    assert len(fired) == 1
    assert {key: fired[0][key] for key in fired[0] if key != "friendly_name"} == {
        "event_type": "watched",
        "event_types": ["watched"],
        "simkl_id": 53992,
        "title": "Inception",
        "url": "https://simkl.com/movies/53992/inception",
        "media_type": "movie",
        "poster_url": "https://simkl.net/posters/53/53992posterkey_0.jpg",
        "fanart_url": "https://simkl.net/fanart/53/53992fanartkey_0.jpg",
    }

    # A failed poll and the recovery to the same item fire nothing.
    mock_simkl.recently_watched.side_effect = SimklConnectionError("down")
    for _ in range(5):
        await next_poll(hass, freezer)
    mock_simkl.recently_watched.side_effect = None
    await next_poll(hass, freezer)
    assert len(fired) == 1

    # Going back to the earlier item is a new item again.
    freezer.tick(1)
    mock_simkl.recently_watched.return_value = load_item()
    await next_poll(hass, freezer)
    assert [event["title"] for event in fired] == ["Inception", "Game of Thrones"]


async def test_no_event_on_reload(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
    fired: list[dict[str, object]],
) -> None:
    """Test a reload with a changed item sets a new baseline instead of firing."""
    mock_simkl.recently_watched.return_value = load_item("recently_watched_movie.json")
    await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert fired == []


async def test_fires_for_new_item_after_outage(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
    fired: list[dict[str, object]],
) -> None:
    """Test an item that changed during an outage fires once on recovery."""
    mock_simkl.recently_watched.side_effect = SimklConnectionError("down")
    for _ in range(5):
        await next_poll(hass, freezer)
    assert _state(hass) == STATE_UNAVAILABLE

    transitions: list[tuple[str, str]] = []

    @callback
    def _record(event: Event[EventStateChangedData]) -> None:
        """Record every state transition of the event entity."""
        old, new = event.data["old_state"], event.data["new_state"]
        assert old is not None
        assert new is not None
        transitions.append((old.state, new.state))

    async_track_state_change_event(hass, EVENT, _record)
    mock_simkl.recently_watched.side_effect = None
    mock_simkl.recently_watched.return_value = load_item("recently_watched_movie.json")
    await next_poll(hass, freezer)
    await next_poll(hass, freezer)
    assert [event["title"] for event in fired] == ["Inception"]
    # The entity comes back before it fires, so automations that ignore
    # changes from "unavailable" still see the new item.
    assert len(transitions) == 2
    assert transitions[0] == (STATE_UNAVAILABLE, STATE_UNKNOWN)
    assert transitions[1][0] == STATE_UNKNOWN
    assert transitions[1][1] not in (STATE_UNKNOWN, STATE_UNAVAILABLE)


async def test_first_item_after_nothing_watched(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
    fired: list[dict[str, object]],
) -> None:
    """Test the first item of a new account fires; losing it and regaining does not."""
    mock_simkl.recently_watched.return_value = None
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    mock_simkl.recently_watched.return_value = load_item()
    await next_poll(hass, freezer)
    assert [event["title"] for event in fired] == ["Game of Thrones"]

    mock_simkl.recently_watched.return_value = None
    await next_poll(hass, freezer)
    mock_simkl.recently_watched.return_value = load_item()
    await next_poll(hass, freezer)
    assert len(fired) == 1


def _state(hass: HomeAssistant) -> str:
    """Return the event entity's state."""
    state = hass.states.get(EVENT)
    assert state is not None
    return state.state
