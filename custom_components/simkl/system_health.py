"""System health information for the Simkl integration."""

from __future__ import annotations

import os
from typing import Any

from homeassistant.components import system_health
from homeassistant.core import HomeAssistant, callback

from .api.client import API_URL
from .const import DOMAIN, ENV_BASE_URL
from .coordinator import SimklConfigEntry


@callback
def async_register(
    hass: HomeAssistant, register: system_health.SystemHealthRegistration
) -> None:
    """Register the Simkl system health section."""
    register.async_register_info(system_health_info)


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Return whether Simkl is reachable and when the last poll succeeded."""
    entries: list[SimklConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    successes = [
        success
        for entry in entries
        if (success := entry.runtime_data.stats.last_success) is not None
    ]
    return {
        "can_reach_server": system_health.async_check_can_reach_url(
            hass, os.environ.get(ENV_BASE_URL, API_URL)
        ),
        "last_successful_poll": max(successes).isoformat() if successes else "-",
    }
