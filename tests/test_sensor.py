"""Tests for the Simkl sensor."""

from __future__ import annotations

from unittest.mock import MagicMock

from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.simkl.api import RecentlyWatched
from custom_components.simkl.const import DOMAIN

from .conftest import load_item

ENTITY_ID = "sensor.simkl_51_recently_watched"


async def test_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Test every entity's registry entry and the sensor's state."""
    entries = er.async_entries_for_config_entry(
        entity_registry, init_integration.entry_id
    )
    # Only the fields this integration decides, so the snapshot holds on every
    # Home Assistant version whatever registry fields it adds.
    assert {
        entry.entity_id: {
            "unique_id": entry.unique_id,
            "translation_key": entry.translation_key,
            "original_name": entry.original_name,
            "has_entity_name": entry.has_entity_name,
            "device_class": entry.original_device_class,
            "entity_category": entry.entity_category,
        }
        for entry in entries
    } == snapshot(name="registry")

    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    assert len(devices) == 1
    device = devices[0]
    assert device.identifiers == {(DOMAIN, "51")}
    assert {
        "name": device.name,
        "manufacturer": device.manufacturer,
        "model": device.model,
        "entry_type": device.entry_type,
        "configuration_url": device.configuration_url,
    } == snapshot(name="device")
    state = hass.states.get(ENTITY_ID)
    assert state is not None
    # Attribute keys as plain strings: newer Home Assistant uses enum keys.
    assert {
        "state": state.state,
        "attributes": {str(key): value for key, value in state.attributes.items()},
    } == snapshot(name="state")


@pytest.mark.parametrize("body", [None, [], {}])
async def test_nothing_watched_yet(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_simkl: MagicMock,
    body: object,
) -> None:
    """Test a user with no history gives an unknown state and empty attributes."""
    mock_simkl.recently_watched.return_value = RecentlyWatched.from_json(body, ())
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(ENTITY_ID)
    assert state is not None
    assert state.state == STATE_UNKNOWN
    for attribute in ("title", "simkl_id", "url", "media_type", "poster_url"):
        assert state.attributes[attribute] is None
    assert "entity_picture" not in state.attributes


async def test_long_title_is_cut(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_simkl: MagicMock
) -> None:
    """Test a title over 255 characters is cut in the state, kept in full."""
    title = "Ä" * 300
    body = {"id": 1, "title": title, "url": "https://simkl.com/anime/1/x"}
    mock_simkl.recently_watched.return_value = RecentlyWatched.from_json(body, ())
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(ENTITY_ID)
    assert state is not None
    assert state.state == title[:255]
    assert state.attributes["title"] == title
    assert state.attributes["media_type"] == "anime"
    assert state.attributes["poster_url"] is None


async def test_movie_item(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_simkl: MagicMock
) -> None:
    """Test a movie's attributes and picture."""
    mock_simkl.recently_watched.return_value = load_item("recently_watched_movie.json")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    state = hass.states.get(ENTITY_ID)
    assert state is not None
    assert state.state == "Inception"
    assert state.attributes["media_type"] == "movie"
    assert (
        state.attributes["entity_picture"]
        == "https://simkl.net/posters/53/53992posterkey_0.jpg"
    )
