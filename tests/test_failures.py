"""Run the whole integration through every failure Simkl or the network can produce.

Each case of the table sets the integration up with a real client on Home
Assistant's (mocked) HTTP session, polls once successfully, then serves the
faulty answer until its defined end state shows, and finally serves a good
answer again and checks that everything comes back. A sentinel client_id runs
through all of it, and every log record, exception, entity attribute,
diagnostics dump and requested URL is searched for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from enum import StrEnum
import errno
from http import HTTPStatus
import json
import logging
import re
import socket
import ssl
import traceback
from typing import Any

from aiohttp import (
    ClientConnectionError,
    ClientPayloadError,
    ClientResponse,
    ServerDisconnectedError,
)
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.image import ImageEntity
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import CONF_CLIENT_ID, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_component import EntityComponent
from homeassistant.helpers.json import json_bytes
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
    mock_stream,
)
from yarl import URL

from custom_components.simkl.const import CONF_USER_ID, DOMAIN, TOLERATED_FAILURES
from custom_components.simkl.coordinator import SimklCoordinator
from custom_components.simkl.diagnostics import async_get_config_entry_diagnostics

from .conftest import load_json

SENTINEL = "SENTINEL-7f3c-client-id"
RENEWED_CLIENT_ID = f"{SENTINEL}-renewed"
USER_ID = 51
API_HOST = "api.simkl.com"
IMAGE_HOST = "simkl.net"
SENSOR = "sensor.simkl_51_recently_watched"
POSTER = "image.simkl_51_poster"
FANART = "image.simkl_51_fanart"
EVENT = "event.simkl_51_watched"
ENTITIES = (SENSOR, POSTER, FANART, EVENT)
INTERVAL = timedelta(minutes=5)
DEFAULT_BACKOFF = (INTERVAL, INTERVAL * 2, INTERVAL * 4, INTERVAL * 4)
JPG = b"\xff\xd8\xff\xe0simkl-image\xff\xd9"

FIRST: dict[str, Any] = load_json("recently_watched.json")
RECOVERED: dict[str, Any] = {
    "id": 39687,
    "url": "https://simkl.com/anime/39687/cowboy-bebop",
    "title": "Cowboy Bebop",
    "poster": "39/39687posterkey",
    "fanart": "39/39687fanartkey",
}
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>"
    "<h1>Bad Gateway</h1><p>The upstream server sent an invalid answer.</p>"
    f"<pre>simkl-api-key: {SENTINEL}</pre>" + "<p>padding</p>" * 400 + "</body></html>"
)
# An error body that echoes the client_id, as some gateways do: it must never be
# dumped into a log line or an exception.
ECHOED_KEY = json.dumps(
    {"error": "client_id_failed", "code": 412, "message": f"bad key {SENTINEL}"}
)

MESSAGES = {
    "connection": "Could not reach Simkl",
    "rate_limited": "Simkl asked to slow down; polling backs off for a while",
    "invalid_response": "Simkl sent an answer that could not be read",
}
AUTH_ERROR = (
    "Authentication failed while fetching simkl data: Simkl rejected the Client ID"
)
NOT_FOUND_ERROR = (
    f"Error fetching simkl data: Simkl user {USER_ID} was not found"
    " or the profile is private"
)

_MISSING: Any = object()


class Outcome(StrEnum):
    """The defined end state of a faulty answer."""

    SHOWN = "shown"
    NOTHING = "nothing"
    TOLERATED = "tolerated"
    AUTH = "auth"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, kw_only=True)
class Answer:
    """What the mocked API does with one request."""

    status: int = HTTPStatus.OK
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    headers_fn: Callable[[], dict[str, str]] | None = None
    error: Callable[[], BaseException] | None = None
    broken_body: bool = False
    hangs: bool = False


@dataclass(frozen=True, kw_only=True)
class Case:
    """One row of the failure table."""

    answers: tuple[Answer, ...]
    outcome: Outcome
    title: str | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)
    kind: str | None = None
    delays: tuple[timedelta, ...] = DEFAULT_BACKOFF
    hostile_images: bool = False


def _json(value: Any) -> bytes:
    """Return a value as a UTF-8 JSON body, escaping what UTF-8 cannot hold."""
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(value).encode()


def _item(**fields: Any) -> bytes:
    """Return the documented example body with fields changed or removed."""
    body = {**FIRST, **fields}
    return _json({key: value for key, value in body.items() if value is not _MISSING})


def _shown(
    body: bytes,
    title: str = "Game of Thrones",
    *,
    hostile_images: bool = False,
    **attributes: Any,
) -> Case:
    """Return a case whose answer is read and shown."""
    return Case(
        answers=(Answer(body=body),),
        outcome=Outcome.SHOWN,
        title=title,
        attributes=attributes,
        hostile_images=hostile_images,
    )


def _hostile(field_name: str, value: Any) -> Case:
    """Return a case whose poster or fanart names something off Simkl's hosts."""
    attributes = {f"{field_name}_url": None}
    return _shown(_item(**{field_name: value}), hostile_images=True, **attributes)


def _nothing(body: bytes) -> Case:
    """Return a case of an answer that means nothing was watched yet."""
    return Case(answers=(Answer(body=body),), outcome=Outcome.NOTHING)


def _tolerated(
    answer: Answer, kind: str, delays: tuple[timedelta, ...] = DEFAULT_BACKOFF
) -> Case:
    """Return a case of a transient failure: kept three polls, then unavailable."""
    return Case(answers=(answer,), outcome=Outcome.TOLERATED, kind=kind, delays=delays)


def _unreadable(body: bytes | str) -> Case:
    """Return a case of a 200 answer whose body cannot be read."""
    raw = body.encode() if isinstance(body, str) else body
    return _tolerated(Answer(body=raw), "invalid_response")


def _status(status: int, body: str = "", **headers: str) -> Answer:
    """Return an answer with a status code and an optional body."""
    return Answer(status=status, body=body.encode(), headers=headers)


def _raises(error: Callable[[], BaseException]) -> Case:
    """Return a case of a transport fault raised by the HTTP session."""
    return _tolerated(Answer(error=error), "connection")


def _retry_after_in(minutes: int) -> Callable[[], dict[str, str]]:
    """Return headers asking to retry at an HTTP date some minutes from now."""

    def headers() -> dict[str, str]:
        """Return the Retry-After header for the current (frozen) time."""
        when = dt_util.utcnow() + timedelta(minutes=minutes)
        return {"Retry-After": format_datetime(when, usegmt=True)}

    return headers


def _nested(depth: int) -> str:
    """Return a JSON list nested ``depth`` levels deep."""
    return "[" * depth + "]" * depth


CASES = [
    # 200 variants that are read and shown.
    pytest.param(
        _shown(_json(load_json("recently_watched_movie.json")), "Inception"),
        id="200-movie",
    ),
    pytest.param(
        _shown(
            _item(url="https://simkl.com/anime/1/x"), media_type="anime", simkl_id=17465
        ),
        id="200-anime-url",
    ),
    pytest.param(
        _shown(_item(url="https://simkl.com/music/1/x"), media_type=None),
        id="200-unknown-media-type",
    ),
    pytest.param(
        _shown(
            b"\xef\xbb\xbf" + _item(title="BOM first"),
            "BOM first",
        ),
        id="200-utf8-bom",
    ),
    pytest.param(
        Case(
            answers=(
                Answer(
                    body=_json(load_json("recently_watched_movie.json")),
                    headers={"ETag": '"v2"', "Last-Modified": "Wed, 01 Jan 2025 0:00"},
                ),
                _status(HTTPStatus.NOT_MODIFIED),
            ),
            outcome=Outcome.SHOWN,
            title="Inception",
        ),
        id="200-etag-then-304",
    ),
    pytest.param(
        _shown(
            _item(poster="https://simkl.in/posters/30/3082850367420132f_0.jpg"),
            poster_url="https://simkl.net/posters/30/3082850367420132f_0.jpg",
        ),
        id="200-poster-full-simkl-url",
    ),
    pytest.param(
        _shown(
            _item(poster=None, fanart=None, url=None),
            poster_url=None,
            fanart_url=None,
            url=None,
            media_type=None,
        ),
        id="200-null-optional-fields",
    ),
    pytest.param(
        _shown(
            _item(poster=_MISSING, fanart=_MISSING, url=_MISSING),
            poster_url=None,
            fanart_url=None,
            url=None,
        ),
        id="200-missing-optional-fields",
    ),
    pytest.param(
        _shown(
            _item(year=2011, ids={"imdb": "tt0944947"}, error=None, extra=[1, 2]),
            simkl_id=17465,
        ),
        id="200-extra-fields",
    ),
    pytest.param(
        _shown(_item(extra=json.loads(_nested(200))), simkl_id=17465),
        id="200-moderately-nested-extra-field",
    ),
    pytest.param(_shown(_item(id="17465"), simkl_id=17465), id="id-digit-string"),
    pytest.param(_shown(_item(title="Shōgun"), "Shōgun"), id="title-unicode"),
    pytest.param(_shown(_item(title="進撃の巨人"), "進撃の巨人"), id="title-cjk"),
    pytest.param(
        _shown(_item(title="🍿 Movie Night 🎬👨‍👩‍👧"), "🍿 Movie Night 🎬👨‍👩‍👧"),
        id="title-emoji",
    ),
    pytest.param(
        _shown(_item(title="שׁוֹגוּן Ñandú Z̸a̸l̸g̸o̸"), "שׁוֹגוּן Ñandú Z̸a̸l̸g̸o̸"),
        id="title-rtl-and-combining",
    ),
    pytest.param(
        _shown(_item(title="Tom &amp; Jerry &#127871; &eacute;"), "Tom & Jerry 🍿 é"),
        id="title-html-entities",
    ),
    pytest.param(
        _shown(
            _item(title="&lt;script&gt;alert(1)&lt;/script&gt;"),
            "<script>alert(1)</script>",
        ),
        id="title-escaped-markup",
    ),
    pytest.param(_shown(_item(title="A" * 300), "A" * 300), id="title-300-chars"),
    pytest.param(_shown(_item(title="🎬" * 300), "🎬" * 300), id="title-300-emoji"),
    # Nothing watched yet.
    pytest.param(_nothing(b"null"), id="null"),
    pytest.param(_nothing(b"[]"), id="empty-list"),
    pytest.param(_nothing(b"{}"), id="empty-object"),
    # Status codes.
    pytest.param(
        _tolerated(_status(HTTPStatus.NOT_MODIFIED), "invalid_response"),
        id="304-without-validators",
    ),
    pytest.param(
        _tolerated(_status(HTTPStatus.BAD_REQUEST, ECHOED_KEY), "invalid_response"),
        id="400",
    ),
    pytest.param(
        Case(answers=(_status(HTTPStatus.UNAUTHORIZED),), outcome=Outcome.AUTH),
        id="401",
    ),
    pytest.param(
        Case(answers=(_status(HTTPStatus.FORBIDDEN, HTML_PAGE),), outcome=Outcome.AUTH),
        id="403-html",
    ),
    pytest.param(
        Case(
            answers=(_status(HTTPStatus.PRECONDITION_FAILED, ECHOED_KEY),),
            outcome=Outcome.AUTH,
        ),
        id="412-echoing-key",
    ),
    pytest.param(
        Case(
            answers=(_status(HTTPStatus.NOT_FOUND, '{"error":"user_not_found"}'),),
            outcome=Outcome.NOT_FOUND,
            delays=(INTERVAL * 4,),
        ),
        id="404",
    ),
    pytest.param(
        _tolerated(_status(HTTPStatus.IM_A_TEAPOT, "I'm a teapot"), "invalid_response"),
        id="418",
    ),
    pytest.param(
        _tolerated(_status(HTTPStatus.TOO_MANY_REQUESTS), "rate_limited"),
        id="429-without-retry-after",
    ),
    pytest.param(
        _tolerated(
            _status(HTTPStatus.TOO_MANY_REQUESTS, **{"Retry-After": "900"}),
            "rate_limited",
            (timedelta(minutes=15),) * 4,
        ),
        id="429-retry-after-seconds",
    ),
    pytest.param(
        _tolerated(
            _status(HTTPStatus.TOO_MANY_REQUESTS, **{"Retry-After": "10"}),
            "rate_limited",
            (INTERVAL,) * 4,
        ),
        id="429-retry-after-below-interval",
    ),
    pytest.param(
        _tolerated(
            Answer(status=HTTPStatus.TOO_MANY_REQUESTS, headers_fn=_retry_after_in(20)),
            "rate_limited",
            (timedelta(minutes=20),) * 4,
        ),
        id="429-retry-after-http-date",
    ),
    pytest.param(
        _tolerated(
            _status(HTTPStatus.TOO_MANY_REQUESTS, **{"Retry-After": "1e12"}),
            "rate_limited",
            (timedelta(hours=6),) * 4,
        ),
        id="429-retry-after-huge",
    ),
    pytest.param(
        _tolerated(
            _status(HTTPStatus.TOO_MANY_REQUESTS, **{"Retry-After": "soon, maybe"}),
            "rate_limited",
        ),
        id="429-retry-after-garbage",
    ),
    pytest.param(
        _tolerated(_status(HTTPStatus.INTERNAL_SERVER_ERROR, ECHOED_KEY), "connection"),
        id="500",
    ),
    pytest.param(
        _tolerated(_status(HTTPStatus.BAD_GATEWAY, HTML_PAGE), "connection"),
        id="502-html",
    ),
    pytest.param(
        _tolerated(_status(HTTPStatus.SERVICE_UNAVAILABLE, "upgrading"), "connection"),
        id="503",
    ),
    pytest.param(
        _tolerated(_status(HTTPStatus.GATEWAY_TIMEOUT), "connection"), id="504"
    ),
    # Bodies that cannot be read.
    pytest.param(_unreadable(HTML_PAGE), id="200-html-error-page"),
    pytest.param(_unreadable('{"id": 17465, "title": "Game of'), id="truncated-json"),
    pytest.param(_unreadable("Service temporarily unavailable"), id="not-json"),
    pytest.param(_unreadable(b'{"id": 1, "title": "\xff\xfe\xfa"}'), id="not-utf8"),
    pytest.param(_unreadable('"Game of Thrones"'), id="json-string"),
    pytest.param(_unreadable("17465"), id="json-number"),
    pytest.param(_unreadable("true"), id="json-bool"),
    pytest.param(_unreadable(_json([FIRST])), id="json-list"),
    pytest.param(_unreadable(_item(id=_MISSING)), id="id-missing"),
    pytest.param(_unreadable(_item(id="tt17465")), id="id-non-digit-string"),
    pytest.param(_unreadable(_item(id="١٢٣")), id="id-non-ascii-digits"),
    pytest.param(_unreadable(_item(id=True)), id="id-bool"),
    pytest.param(_unreadable(_item(id=17465.0)), id="id-float"),
    pytest.param(_unreadable(_item(id=-5)), id="id-negative"),
    pytest.param(_unreadable(_item(id=2**64)), id="id-beyond-64-bit"),
    pytest.param(_unreadable(_item(id="9" * 5000)), id="id-5000-digit-string"),
    pytest.param(
        _shown(_item(title="Bad \ud800 title"), "Bad \ufffd title"),
        id="title-lone-surrogate",
    ),
    pytest.param(
        _shown(_item(url="https://simkl.com/tv/\udfff"), url=None, media_type=None),
        id="url-lone-surrogate",
    ),
    pytest.param(_unreadable(_item(title=42)), id="title-number"),
    pytest.param(_unreadable(_item(title="")), id="title-empty"),
    pytest.param(_unreadable(_item(title=" \t\n")), id="title-blank"),
    pytest.param(_unreadable(_item(title=None)), id="title-null"),
    pytest.param(_unreadable(_item(title=_MISSING)), id="title-missing"),
    pytest.param(_unreadable(_item(title=["Game"])), id="title-list"),
    pytest.param(
        _unreadable(_item(title="x" * (3 * 1024 * 1024))), id="body-3-megabytes"
    ),
    pytest.param(_unreadable(_nested(100_000)), id="deeply-nested-json"),
    pytest.param(
        _unreadable('{"id": 1, "title": "x", "extra": ' + _nested(100_000) + "}"),
        id="deeply-nested-field",
    ),
    # Image values that must never lead to a request off Simkl's image host.
    pytest.param(
        _hostile("poster", "https://evil.example/posters/17/x_0.jpg"), id="img-host"
    ),
    pytest.param(
        _hostile("poster", "https://simkl.net.evil.example/posters/1/x_0.jpg"),
        id="img-host-suffix",
    ),
    pytest.param(
        _hostile("fanart", "https://evilsimkl.net/fanart/1/x_0.jpg"),
        id="img-host-prefix",
    ),
    pytest.param(
        _hostile("poster", "http://simkl.net/posters/17/x_0.jpg"), id="img-http"
    ),
    pytest.param(_hostile("poster", "//evil.example/posters/1/x_0.jpg"), id="img-//"),
    pytest.param(_hostile("poster", "../../../etc/passwd"), id="img-dotdot"),
    pytest.param(_hostile("fanart", "17/../../admin"), id="img-dotdot-key"),
    pytest.param(_hostile("fanart", "%2e%2e/%2e%2e/admin"), id="img-encoded-dots"),
    pytest.param(_hostile("poster", "17/17465 posterkey"), id="img-whitespace"),
    pytest.param(_hostile("poster", " 17/17465posterkey\n"), id="img-padded"),
    pytest.param(_hostile("poster", "17/17465posterkey?x=1"), id="img-query"),
    pytest.param(_hostile("fanart", "17/17465fanartkey#frag"), id="img-fragment"),
    pytest.param(_hostile("poster", "17/key@evil.example"), id="img-at"),
    pytest.param(_hostile("poster", "javascript:alert(1)"), id="img-javascript"),
    pytest.param(_hostile("fanart", "data:image/png;base64,AAAA"), id="img-data"),
    pytest.param(
        _hostile("poster", "https://user:pw@simkl.net/posters/1/x_0.jpg"),
        id="img-userinfo",
    ),
    pytest.param(
        _hostile("poster", "https://simkl.net@evil.example/posters/1/x_0.jpg"),
        id="img-userinfo-host",
    ),
    pytest.param(
        _hostile("fanart", "https://simkl.net:8443/fanart/1/x_0.jpg"), id="img-port"
    ),
    pytest.param(
        _hostile("poster", "https://simkl.net/posters/1/x_0.jpg?redirect=evil"),
        id="img-url-query",
    ),
    pytest.param(
        _hostile("poster", "https://simkl.net/avatars/1/x_0.jpg"), id="img-url-folder"
    ),
    pytest.param(
        _hostile("poster", "https://simkl.n\u0435t/posters/1/x_0.jpg"),
        id="img-lookalike-host",
    ),
    pytest.param(_hostile("fanart", {"url": "17/key"}), id="img-object"),
    pytest.param(_hostile("fanart", 17465), id="img-number"),
    # Transport faults.
    pytest.param(_raises(TimeoutError), id="timeout-raised"),
    pytest.param(_tolerated(Answer(hangs=True), "connection"), id="timeout-hang"),
    pytest.param(
        _raises(lambda: ClientConnectionError("Connection reset by peer")),
        id="client-connection-error",
    ),
    pytest.param(
        _tolerated(Answer(body=_item(), broken_body=True), "connection"),
        id="client-payload-error",
    ),
    pytest.param(
        _raises(lambda: socket.gaierror(socket.EAI_NONAME, "Name not known")),
        id="dns-error",
    ),
    pytest.param(
        _raises(lambda: OSError(errno.ENETUNREACH, "Network is unreachable")),
        id="os-error",
    ),
    pytest.param(
        _raises(lambda: ssl.SSLCertVerificationError(1, "certificate verify failed")),
        id="tls-error",
    ),
    pytest.param(_raises(ServerDisconnectedError), id="server-disconnected"),
]


class _BrokenBodyResponse(AiohttpClientMockResponse):
    """A response whose body transfer breaks off."""

    @property
    def content(self) -> Any:
        """Return a stream that fails like a connection lost mid-body."""
        stream = mock_stream(self.response)
        stream.set_exception(ClientPayloadError("Response payload is not completed"))
        return stream


class SimklServer:
    """Answer the API and the image hosts like Simkl, with a swappable answer."""

    def __init__(self, aioclient_mock: AiohttpClientMocker) -> None:
        """Register the API, Simkl's image host, and every other host."""
        self.answers: tuple[Answer, ...] = (Answer(body=_json(FIRST)),)
        self.requests = 0
        aioclient_mock.get(re.compile(r"^https://api\.simkl\.com/"), side_effect=self)
        image = {"content": JPG, "headers": {"Content-Type": "image/jpeg"}}
        aioclient_mock.get(re.compile(r"^https://simkl\.net/"), **image)
        # Any other host would serve a picture too, so a request that escaped
        # Simkl's image host would show up as a picture in the proxy.
        aioclient_mock.get(re.compile(r""), **image)

    def serve(self, *answers: Answer) -> None:
        """Answer the next requests with these answers, repeating the last."""
        self.answers = answers
        self.requests = 0

    async def __call__(self, method: str, url: URL, data: Any) -> ClientResponse:
        """Answer one API request."""
        answer = self.answers[min(self.requests, len(self.answers) - 1)]
        self.requests += 1
        if answer.hangs:
            await asyncio.Event().wait()
        if answer.error is not None:
            raise answer.error()
        headers = dict(answer.headers)
        if answer.headers_fn is not None:
            headers |= answer.headers_fn()
        response_class = (
            _BrokenBodyResponse if answer.broken_body else AiohttpClientMockResponse
        )
        response: ClientResponse = response_class(
            method, url, status=answer.status, response=answer.body, headers=headers
        )
        return response


@dataclass
class Run:
    """The integration under test and everything it left behind."""

    hass: HomeAssistant
    freezer: FrozenDateTimeFactory
    aioclient_mock: AiohttpClientMocker
    entry: MockConfigEntry
    server: SimklServer
    exceptions: list[BaseException] = field(default_factory=list)
    dumps: list[Any] = field(default_factory=list)

    @property
    def coordinator(self) -> SimklCoordinator:
        """Return the running entry's coordinator."""
        coordinator: SimklCoordinator = self.entry.runtime_data
        return coordinator

    def api_calls(self) -> int:
        """Return how many requests went to the API."""
        return sum(1 for call in self.aioclient_mock.mock_calls if _is_api(call))

    async def poll(self, *, hangs: bool = False) -> None:
        """Move time to the next scheduled poll and let it finish."""
        coordinator = self.coordinator
        assert coordinator.update_interval is not None
        self.freezer.tick(coordinator.update_interval)
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done()
        if hangs:
            self.freezer.tick(timedelta(seconds=11))
            async_fire_time_changed(self.hass)
            await self.hass.async_block_till_done(wait_background_tasks=True)
        if coordinator.last_exception is not None:
            self.exceptions.append(coordinator.last_exception)

    async def dump_diagnostics(self) -> dict[str, Any]:
        """Return the entry's diagnostics as downloaded, kept for the leak check."""
        data = await async_get_config_entry_diagnostics(self.hass, self.entry)
        dump: dict[str, Any] = json.loads(json_bytes(data))
        self.dumps.append(dump)
        return dump

    async def picture(self, entity_id: str) -> bytes | None:
        """Return the picture the image proxy serves, or None when it serves none.

        This asks the entity as the proxy does, without the HTTP server around
        it: on the newest stack the test server's access log cannot format the
        frozen clock's time and would log a traceback of its own.
        """
        component: EntityComponent[ImageEntity] = self.hass.data["image"]
        entity = component.get_entity(entity_id)
        assert entity is not None
        return await entity.async_image()


def _is_api(call: tuple[Any, ...]) -> bool:
    """Return whether a recorded request went to the API."""
    return bool(URL(str(call[1])).host == API_HOST)


def _state(hass: HomeAssistant, entity_id: str) -> Any:
    """Return an entity's state object."""
    state = hass.states.get(entity_id)
    assert state is not None
    return state


def _assert_shows(hass: HomeAssistant, item: Mapping[str, Any]) -> None:
    """Assert every entity is available and the sensor shows an item."""
    for entity_id in ENTITIES:
        assert _state(hass, entity_id).state != STATE_UNAVAILABLE, entity_id
    sensor = _state(hass, SENSOR)
    assert sensor.state == item["title"]
    assert sensor.attributes["simkl_id"] == item["id"]
    assert sensor.attributes["poster_url"] == (
        f"https://simkl.net/posters/{item['poster']}_0.jpg"
    )


def _assert_all_unavailable(hass: HomeAssistant) -> None:
    """Assert every entity of the entry is unavailable."""
    for entity_id in ENTITIES:
        assert _state(hass, entity_id).state == STATE_UNAVAILABLE, entity_id


def _assert_within_second(actual: timedelta | None, expected: timedelta) -> None:
    """Assert a delay equals the expected one to within a second."""
    assert actual is not None
    assert abs(actual - expected) <= timedelta(seconds=1), (actual, expected)


async def _check_shown(run: Run, case: Case) -> None:
    """Poll through the answers and check the item they describe is shown."""
    hass = run.hass
    for _ in case.answers:
        await run.poll()
    for entity_id in ENTITIES:
        assert _state(hass, entity_id).state != STATE_UNAVAILABLE
    sensor = _state(hass, SENSOR)
    assert case.title is not None
    assert sensor.state == case.title[:255]
    assert sensor.attributes["title"] == case.title
    for name, value in case.attributes.items():
        assert sensor.attributes[name] == value, name
    if sensor.attributes["simkl_id"] != FIRST["id"]:
        assert _state(hass, EVENT).attributes["title"] == case.title
    diagnostics = await run.dump_diagnostics()
    assert diagnostics["polling"]["last_error"] is None
    assert diagnostics["last_response"]["title"] == case.title
    if case.hostile_images:
        await _check_no_hostile_image(run)


async def _check_no_hostile_image(run: Run) -> None:
    """Check an item with a hostile image shows no picture and fetches nothing."""
    hass = run.hass
    sensor = _state(hass, SENSOR)
    for entity_id, attribute in ((POSTER, "poster_url"), (FANART, "fanart_url")):
        url = sensor.attributes[attribute]
        if url is None:
            image = _state(hass, entity_id)
            assert image.state == STATE_UNKNOWN
            assert "entity_picture" not in image.attributes
            calls = len(run.aioclient_mock.mock_calls)
            assert await run.picture(entity_id) is None
            assert len(run.aioclient_mock.mock_calls) == calls
        else:
            assert url.startswith(f"https://{IMAGE_HOST}/")


async def _check_nothing(run: Run, case: Case) -> None:
    """Poll once and check the entities show that nothing was watched yet."""
    hass = run.hass
    await run.poll()
    sensor = _state(hass, SENSOR)
    assert sensor.state == STATE_UNKNOWN
    assert sensor.attributes["title"] is None
    assert sensor.attributes["poster_url"] is None
    for entity_id in (POSTER, FANART):
        assert _state(hass, entity_id).state == STATE_UNKNOWN
        assert await run.picture(entity_id) is None
    diagnostics = await run.dump_diagnostics()
    assert diagnostics["last_response"] is None


async def _check_tolerated(run: Run, case: Case) -> None:
    """Check three failed polls keep the item and the fourth hides it."""
    hass = run.hass
    hangs = case.answers[0].hangs
    before = run.api_calls()
    for failures, delay in enumerate(case.delays, start=1):
        await run.poll(hangs=hangs)
        _assert_within_second(run.coordinator.update_interval, delay)
        if failures <= TOLERATED_FAILURES:
            _assert_shows(hass, FIRST)
        else:
            _assert_all_unavailable(hass)
    assert run.api_calls() - before == len(case.delays)
    diagnostics = await run.dump_diagnostics()
    assert diagnostics["polling"]["last_error"] == case.kind
    assert diagnostics["polling"]["consecutive_failures"] == len(case.delays)
    assert diagnostics["last_response"]["title"] == FIRST["title"]


async def _check_auth(run: Run, case: Case) -> None:
    """Check a rejected client_id acts at once and stops polling."""
    hass = run.hass
    await run.poll()
    _assert_all_unavailable(hass)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == run.entry.entry_id
    diagnostics = await run.dump_diagnostics()
    assert diagnostics["polling"]["last_error"] == "authentication"
    calls = run.api_calls()
    run.freezer.tick(timedelta(hours=1))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert run.api_calls() == calls


async def _check_not_found(run: Run, case: Case) -> None:
    """Check a missing profile acts at once, raises a repair and slows polling."""
    hass = run.hass
    await run.poll()
    _assert_all_unavailable(hass)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"profile_not_found_{USER_ID}")
    assert issue is not None
    assert issue.translation_key == "profile_not_found"
    _assert_within_second(run.coordinator.update_interval, case.delays[0])
    diagnostics = await run.dump_diagnostics()
    assert diagnostics["polling"]["last_error"] == "not_found"


CHECKS = {
    Outcome.SHOWN: _check_shown,
    Outcome.NOTHING: _check_nothing,
    Outcome.TOLERATED: _check_tolerated,
    Outcome.AUTH: _check_auth,
    Outcome.NOT_FOUND: _check_not_found,
}


async def _recover(run: Run, case: Case) -> None:
    """Serve a good answer again and check that everything came back."""
    hass = run.hass
    run.server.serve(Answer(body=_json(RECOVERED)))
    if case.outcome is Outcome.AUTH:
        flow = hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]
        result = await hass.config_entries.flow.async_configure(
            flow["flow_id"], {CONF_CLIENT_ID: RENEWED_CLIENT_ID}
        )
        await hass.async_block_till_done()
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reauth_successful"
        assert run.entry.data[CONF_CLIENT_ID] == RENEWED_CLIENT_ID
        api_call = [call for call in run.aioclient_mock.mock_calls if _is_api(call)][-1]
        assert api_call[3]["simkl-api-key"] == RENEWED_CLIENT_ID
    else:
        await run.poll()
    _assert_shows(hass, RECOVERED)
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, f"profile_not_found_{USER_ID}"
    )
    assert run.coordinator.update_interval == INTERVAL
    assert await run.picture(POSTER) == JPG
    diagnostics = await run.dump_diagnostics()
    assert diagnostics["polling"]["last_error"] is None
    assert diagnostics["polling"]["consecutive_failures"] == 0


def _record_texts(
    records: list[logging.LogRecord], formatter: logging.Formatter
) -> Iterator[str]:
    """Yield every text a log record carries: message, arguments, traceback."""
    for record in records:
        yield str(record.msg)
        yield repr(record.args)
        yield record.getMessage()
        yield formatter.format(record)
        yield str(record.exc_text)
        yield str(record.stack_info)


def _assert_no_leak(
    run: Run, records: list[logging.LogRecord], formatter: logging.Formatter
) -> None:
    """Assert the sentinel client_id appears nowhere it could be read or logged."""
    for text in _record_texts(records, formatter):
        assert SENTINEL not in text
    for error in run.exceptions:
        assert SENTINEL not in "".join(traceback.format_exception(error))
    for state in run.hass.states.async_all():
        assert SENTINEL not in json.dumps(state.as_dict(), default=str)
    for dump in run.dumps:
        assert SENTINEL not in json.dumps(dump)
    for call in run.aioclient_mock.mock_calls:
        assert SENTINEL not in str(call[1])


def _assert_short_errors(case: Case, records: list[logging.LogRecord]) -> None:
    """Assert errors are logged once when data stops, short and traceback-free.

    Only debug records may carry a traceback: newer Home Assistant versions add
    the full error at debug level after the one-line error.
    """
    for record in records:
        if record.levelno >= logging.WARNING:
            assert record.exc_info in (None, (None, None, None)), record.getMessage()
            assert record.stack_info is None
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    recovered = [
        record
        for record in records
        if record.getMessage() == "Fetching simkl data recovered"
    ]
    if case.outcome in (Outcome.SHOWN, Outcome.NOTHING):
        assert errors == []
        assert recovered == []
    elif case.outcome is Outcome.AUTH:
        assert errors == [AUTH_ERROR]
    elif case.outcome is Outcome.NOT_FOUND:
        assert errors == [NOT_FOUND_ERROR]
        assert len(recovered) == 1
    else:
        assert case.kind is not None
        assert errors == [f"Error fetching simkl data: {MESSAGES[case.kind]}"]
        assert len(recovered) == 1


@pytest.mark.parametrize("case", CASES)
async def test_failure_table(
    aioclient_mock: AiohttpClientMocker,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    case: Case,
) -> None:
    """Test each faulty answer ends in its defined state and recovers, leak-free."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="custom_components.simkl")
    server = SimklServer(aioclient_mock)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Simkl {USER_ID}",
        unique_id=str(USER_ID),
        data={CONF_CLIENT_ID: SENTINEL, CONF_USER_ID: USER_ID},
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    run = Run(hass, freezer, aioclient_mock, entry, server)
    _assert_shows(hass, FIRST)
    assert await run.picture(POSTER) == JPG

    server.serve(*case.answers)
    await CHECKS[case.outcome](run, case)
    await _recover(run, case)

    api_calls = [call for call in aioclient_mock.mock_calls if _is_api(call)]
    assert api_calls[0][3]["simkl-api-key"] == SENTINEL
    for call in aioclient_mock.mock_calls:
        url = URL(str(call[1]))
        assert url.scheme == "https"
        assert url.host in (API_HOST, IMAGE_HOST)
        assert url.user is None
        assert url.explicit_port is None
    records = caplog.records
    assert any(record.levelno == logging.DEBUG for record in records)
    _assert_no_leak(run, records, caplog.handler.formatter or logging.Formatter())
    _assert_short_errors(case, records)


def test_leak_check_finds_the_sentinel() -> None:
    """Test the leak check spots the sentinel in a message, arguments or traceback."""
    error = ValueError(SENTINEL)
    exc_info = (ValueError, error, None)
    records = [
        logging.LogRecord("x", logging.DEBUG, __file__, 1, "key %s", (SENTINEL,), None),
        logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), exc_info),
    ]
    formatter = logging.Formatter()
    for record in records:
        assert any(SENTINEL in text for text in _record_texts([record], formatter))
