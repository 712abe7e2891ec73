"""Answer a client's HTTP requests from registered answers or loopback servers."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler, StrOrURL
from pytest_homeassistant_custom_component.test_util.aiohttp import (  # type: ignore[import-untyped]
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL


@dataclass(frozen=True)
class SentRequest:
    """One request a session was asked to send, with its keyword arguments."""

    method: str
    url: URL
    kwargs: dict[str, Any]


def mock_answer(
    method: str,
    url: URL,
    *,
    status: int = 200,
    content: bytes | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
    exc: BaseException | None = None,
) -> Any:
    """Return one answer of Home Assistant's mocker, for a side effect to give."""
    return AiohttpClientMockResponse(
        method,
        url,
        status=status,
        response=content,
        json=json,
        headers=headers,
        exc=exc,
    )


class HttpMock(AiohttpClientMocker):  # type: ignore[misc]
    """Answer requests like Home Assistant's HTTP mocker and note every one sent."""

    def __init__(self) -> None:
        """Start with no answers and no requests."""
        super().__init__()
        self.sent: list[SentRequest] = []

    async def match_request(self, method: str, url: StrOrURL, **kwargs: Any) -> Any:
        """Note a request with all its arguments, then answer it or fail the test."""
        self.sent.append(SentRequest(method.upper(), URL(url), kwargs))
        return await super().match_request(method, url, **kwargs)

    def clear_requests(self) -> None:
        """Forget every answer and every request."""
        super().clear_requests()
        self.sent.clear()

    def sent_to(self, url: str) -> list[SentRequest]:
        """Return the GET requests sent to exactly ``url``, in order."""
        target = ("GET", URL(url))
        return [sent for sent in self.sent if (sent.method, sent.url) == target]

    def get_in_turn(self, url: str, *answers: Mapping[str, Any]) -> None:
        """Answer GET requests to ``url`` with ``answers`` in order, one each."""
        waiting = deque(answers)

        async def next_answer(method: str, sent: URL, data: object) -> Any:
            """Return the next answer, failing the test when none is left."""
            assert waiting, f"No answer left for {method.upper()} {sent}"
            return mock_answer(method, sent, **waiting.popleft())

        self.get(url, side_effect=next_answer)


@dataclass
class Server:
    """An aiohttp server on 127.0.0.1 and the paths it was asked for."""

    url: URL
    paths: list[str]


class Loopback:
    """Serve aiohttp routes on 127.0.0.1 to a real session."""

    def __init__(self, session: ClientSession) -> None:
        """Use ``session`` for the clients and start with no server."""
        self.session = session
        self._servers: list[TestServer] = []

    async def serve(self, routes: Mapping[str, Handler]) -> Server:
        """Serve GET ``routes`` on a free loopback port and note each path asked."""
        noted: list[str] = []

        @web.middleware
        async def note(request: web.Request, handler: Handler) -> web.StreamResponse:
            """Note the path of a request before handling it."""
            noted.append(request.path)
            return await handler(request)

        app = web.Application(middlewares=[note])
        for path, handler in routes.items():
            app.router.add_get(path, handler)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        self._servers.append(server)
        return Server(server.make_url("/"), noted)

    async def close(self) -> None:
        """Stop every server."""
        for server in self._servers:
            await server.close()
