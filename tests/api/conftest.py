"""Fixtures for the Simkl client library tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterator
import socket

from aiohttp import ClientSession
import pytest

from custom_components.simkl.api import Simkl

from . import APP_NAME, APP_VERSION, CLIENT_ID
from .mocking import HttpMock, Loopback


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Keep Home Assistant out of the library tests, which need no ``hass``."""


@pytest.fixture
def mock_http() -> HttpMock:
    """Answer the session's requests from registered answers, not the network."""
    return HttpMock()


@pytest.fixture
async def session(mock_http: HttpMock) -> AsyncGenerator[ClientSession]:
    """Return a real aiohttp session answered by the mocker, closed after the test."""
    client_session: ClientSession = mock_http.create_session(asyncio.get_running_loop())
    yield client_session
    await client_session.close()


@pytest.fixture
def client(session: ClientSession) -> Simkl:
    """Return a client with the sentinel client_id on the mocked session."""
    return Simkl(CLIENT_ID, session=session, app_name=APP_NAME, app_version=APP_VERSION)


@pytest.fixture
async def loopback(socket_enabled: None) -> AsyncGenerator[Loopback]:
    """Return a real session and servers on 127.0.0.1, closed after the test."""
    async with ClientSession() as client_session:
        servers = Loopback(client_session)
        yield servers
        await servers.close()


@pytest.fixture
def refusing_port(socket_enabled: None) -> Iterator[int]:
    """Return a loopback port that is bound but refuses every connection."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as bound:
        bound.bind(("127.0.0.1", 0))
        port: int = bound.getsockname()[1]
        yield port
