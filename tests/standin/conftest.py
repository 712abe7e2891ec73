"""Fixtures for the stand-in's own tests, which run without the ``hass`` fixture."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from aiohttp import ClientSession
import pytest

from .server import StandIn


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite's fixture of this name, which needs ``hass``."""


@pytest.fixture
async def standin(socket_enabled: None) -> AsyncGenerator[StandIn]:
    """Return a stand-in serving on an ephemeral loopback port."""
    async with StandIn() as server:
        yield server


@pytest.fixture
async def session(socket_enabled: None) -> AsyncGenerator[ClientSession]:
    """Return an HTTP session for talking to the stand-in."""
    async with ClientSession() as client:
        yield client
