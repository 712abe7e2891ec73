"""Tests for the Simkl system health section."""

from __future__ import annotations

from aiohttp import ClientError
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    get_system_health_info,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
)


async def test_system_health(
    hass: HomeAssistant,
    aioclient_mock: AiohttpClientMocker,
    init_integration: MockConfigEntry,
) -> None:
    """Test system health reports reachability and the last successful poll."""
    aioclient_mock.get("https://api.simkl.com", text="")
    assert await async_setup_component(hass, "system_health", {})
    await hass.async_block_till_done()

    info = await get_system_health_info(hass, "simkl")
    for key, value in info.items():
        if hasattr(value, "__await__"):
            info[key] = await value
    assert info["can_reach_server"] == "ok"
    stats = init_integration.runtime_data.stats
    assert stats.last_success is not None
    assert info["last_successful_poll"] == stats.last_success.isoformat()


async def test_system_health_without_poll(
    hass: HomeAssistant, aioclient_mock: AiohttpClientMocker
) -> None:
    """Test system health before any entry polled."""
    aioclient_mock.get("https://api.simkl.com", exc=ClientError)
    assert await async_setup_component(hass, "simkl", {})
    assert await async_setup_component(hass, "system_health", {})
    await hass.async_block_till_done()

    info = await get_system_health_info(hass, "simkl")
    for key, value in info.items():
        if hasattr(value, "__await__"):
            info[key] = await value
    assert info["can_reach_server"] == {"type": "failed", "error": "unreachable"}
    assert info["last_successful_poll"] == "-"
