"""Tests for setting up and unloading the Simkl integration."""

from __future__ import annotations

import asyncio
from unittest.mock import MagicMock

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.simkl.api import (
    RecentlyWatched,
    SimklAuthenticationError,
    SimklConnectionError,
    SimklNotFoundError,
)
from custom_components.simkl.const import DOMAIN

from .conftest import load_item


async def test_load_unload_entry(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Test the entry loads, polls once and unloads."""
    assert init_integration.state is ConfigEntryState.LOADED
    await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED


@pytest.mark.parametrize(
    "side_effect", [SimklConnectionError("down"), SimklNotFoundError("private")]
)
async def test_entry_not_ready(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_simkl: MagicMock,
    side_effect: Exception,
) -> None:
    """Test an unreachable Simkl or a missing profile retries set-up later."""
    mock_simkl.recently_watched.side_effect = side_effect
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_entry_auth_failed(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_simkl: MagicMock
) -> None:
    """Test a rejected client_id fails set-up and starts reauthentication."""
    mock_simkl.recently_watched.side_effect = SimklAuthenticationError("rejected")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert len(flows) == 1
    assert flows[0]["context"]["source"] == SOURCE_REAUTH
    assert flows[0]["context"]["entry_id"] == mock_config_entry.entry_id


async def test_remove_entry_clears_repair_issue(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_simkl: MagicMock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Test removing an entry removes its "profile not found" issue."""
    mock_simkl.recently_watched.side_effect = SimklNotFoundError("private")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, "profile_not_found_51")

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert not issue_registry.async_get_issue(DOMAIN, "profile_not_found_51")


async def test_start_up_does_not_wait_on_simkl(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_simkl: MagicMock
) -> None:
    """Test set-up during start-up returns at once and fills in later."""
    answer = asyncio.Event()

    async def _answer_later(user_id: int) -> RecentlyWatched | None:
        """Answer only once the test allows it."""
        await answer.wait()
        return load_item()

    mock_simkl.recently_watched.side_effect = _answer_later
    hass.set_state(CoreState.starting)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    state = hass.states.get("sensor.simkl_51_recently_watched")
    assert state is not None
    assert state.state == STATE_UNKNOWN

    answer.set()
    await hass.async_block_till_done()
    state = hass.states.get("sensor.simkl_51_recently_watched")
    assert state is not None
    assert state.state == "Game of Thrones"
    # The first answer is the starting point of the watched event.
    event = hass.states.get("event.simkl_51_watched")
    assert event is not None
    assert event.state == STATE_UNKNOWN


async def test_start_up_with_simkl_down(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, mock_simkl: MagicMock
) -> None:
    """Test an unreachable Simkl during start-up leaves the entities unavailable."""
    mock_simkl.recently_watched.side_effect = SimklConnectionError("down")
    hass.set_state(CoreState.starting)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    state = hass.states.get("sensor.simkl_51_recently_watched")
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
