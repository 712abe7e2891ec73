"""Diagnostics support for the Simkl integration."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_CLIENT_ID
from homeassistant.core import HomeAssistant

from .coordinator import SimklConfigEntry

TO_REDACT = {CONF_CLIENT_ID}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SimklConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    coordinator = entry.runtime_data
    item = coordinator.data
    stats = coordinator.stats
    return {
        "entry": {
            "data": async_redact_data(entry.data, TO_REDACT),
            "options": dict(entry.options),
        },
        "last_response": asdict(item) if item else None,
        "image_urls": {
            "poster": coordinator.poster_url(item),
            "fanart": coordinator.fanart_url(item),
        },
        "polling": {
            "last_update_success": coordinator.last_update_success,
            "last_error": stats.last_error,
            "consecutive_failures": stats.consecutive_failures,
            "last_attempt": stats.last_attempt and stats.last_attempt.isoformat(),
            "last_success": stats.last_success and stats.last_success.isoformat(),
            "last_duration_seconds": stats.last_duration,
            "interval_seconds": coordinator.interval.total_seconds(),
            "next_interval_seconds": (
                coordinator.update_interval.total_seconds()
                if coordinator.update_interval
                else None
            ),
        },
    }
