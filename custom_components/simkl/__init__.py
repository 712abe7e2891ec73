"""The Simkl integration: the item a Simkl user watched most recently."""

from __future__ import annotations

from homeassistant.const import CONF_CLIENT_ID, Platform
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .coordinator import (
    SimklConfigEntry,
    SimklCoordinator,
    async_create_client,
    profile_issue_id,
)

PLATFORMS = [Platform.EVENT, Platform.IMAGE, Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: SimklConfigEntry) -> bool:
    """Set up Simkl from a config entry."""
    client = await async_create_client(
        hass, entry.data[CONF_CLIENT_ID], shared_pacer=True
    )
    coordinator = SimklCoordinator(hass, entry, client)
    if hass.state is CoreState.running:
        await coordinator.async_config_entry_first_refresh()
    else:
        # While Home Assistant starts, Simkl never holds up the start: the
        # entities come up at once and fill in when the first poll answers.
        entry.async_create_background_task(
            hass, coordinator.async_first_poll(), "simkl first poll"
        )
    entry.runtime_data = coordinator
    entry.async_on_unload(entry.add_update_listener(_async_options_updated))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SimklConfigEntry) -> bool:
    """Unload a Simkl config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SimklConfigEntry) -> None:
    """Remove the repair issue a removed entry may have raised."""
    ir.async_delete_issue(hass, DOMAIN, profile_issue_id(str(entry.unique_id)))


async def _async_options_updated(hass: HomeAssistant, entry: SimklConfigEntry) -> None:
    """Apply changed options to the running coordinator, without a reload."""
    entry.runtime_data.apply_options()
