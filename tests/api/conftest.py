"""Fixtures for the Simkl client library tests."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator

from aiohttp import ClientSession
from aioresponses import aioresponses
import pytest

from custom_components.simkl.api import Simkl

from . import APP_NAME, APP_VERSION, CLIENT_ID


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Keep Home Assistant out of the library tests, which need no ``hass``."""


@pytest.fixture
async def session() -> AsyncGenerator[ClientSession]:
    """Return a real aiohttp session that is closed after the test."""
    async with ClientSession() as client_session:
        yield client_session


@pytest.fixture
def mock_http() -> Generator[aioresponses]:
    """Answer HTTP requests from registered responses instead of the network."""
    with aioresponses() as mocked:
        yield mocked


@pytest.fixture
def client(session: ClientSession) -> Simkl:
    """Return a client with the sentinel client_id on the real session."""
    return Simkl(CLIENT_ID, session=session, app_name=APP_NAME, app_version=APP_VERSION)
