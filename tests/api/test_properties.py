"""Throw generated answers at the Simkl client and check every outcome is safe.

The default run is short. ``SIMKL_HYPOTHESIS_PROFILE=long`` selects a long
campaign of 100,000 examples per property.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Generator
from datetime import UTC
from email.utils import format_datetime
import html
import json
import math
import os
import re
from typing import Any
from unittest.mock import create_autospec

import aiohttp
from aiohttp import ClientSession
from aiohttp.client_reqrep import ConnectionKey
from hypothesis import HealthCheck, event, given, settings, strategies as st
import pytest
from yarl import URL

from custom_components.simkl.api import (
    Artwork,
    ArtworkKind,
    MediaType,
    RecentlyWatched,
    Simkl,
    SimklError,
    SimklInvalidResponseError,
    SimklRateLimitError,
)
from custom_components.simkl.api.client import IMAGE_HOSTS, MAX_RETRY_AFTER

from . import APP_NAME, APP_VERSION, CLIENT_ID, REQUEST_URL, USER_ID
from .mocking import HttpMock, SentRequest

_COMMON: dict[str, Any] = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
}
settings.register_profile("simkl-default", max_examples=200, **_COMMON)
settings.register_profile("simkl-long", max_examples=100_000, **_COMMON)
PROFILE = settings.get_profile(
    f"simkl-{os.environ.get('SIMKL_HYPOTHESIS_PROFILE', 'default')}"
)

RENDERER = Simkl(
    CLIENT_ID,
    session=create_autospec(ClientSession, instance=True),
    app_name=APP_NAME,
    app_version=APP_VERSION,
)

# Strings that have tried, somewhere, to point a URL elsewhere.
HOSTILE = (
    "17/17465posterkey",
    "17/../../evil",
    "..",
    "../",
    "17/..",
    "%2e%2e/x",
    "17/key?x=1",
    "17/key#x",
    "user@evil.example",
    "javascript:alert(1)",
    "data:image/png;base64,AAAA",
    "//evil.example/x",
    "https:evil",
    "17\\key",
    " 17/key",
    "17/key\n",
    "17/key\x00",
    "\uff11\uff17/key",
    "Tom &amp; Jerry",
    "&#0;&#x110000;&",
    "🍿",
    "lone \ud800 surrogate",
    "",
    " ",
)
# Schemes and hosts near the ones the client trusts, and some far from them.
SCHEMES = (
    "https://",
    "https://",
    "https://",
    "http://",
    "HTTPS://",
    "//",
    "",
    "https:",
    "javascript:",
)
HOSTS = (
    "simkl.net",
    "simkl.in",
    "simkl.com",
    "www.simkl.com",
    "eu.simkl.in",
    "a.simkl.net",
    "SIMKL.NET",
    "simkl.net.",
    "evil.example",
    "simkl.net.evil.com",
    "simkl.com.evil.example",
    "evilsimkl.net",
    "evilsimkl.com",
    "\u0455imkl.net",
    "user:pw@simkl.net",
    ":pw@simkl.net",
    "user@simkl.net",
    "user@simkl.com",
    "simkl.net:8443",
    "simkl.net:443",
    "simkl.com:8443",
    "simkl.net\\@evil.example",
    "[::1]",
    "[::1",
    "",
)
ITEM_HOSTS = (
    "simkl.com",
    "www.simkl.com",
    "SIMKL.COM",
    "simkl.com.",
    "evilsimkl.com",
    "simkl.com.evil.example",
    "user@simkl.com",
    ":pw@simkl.com",
    "simkl.com:8443",
    "simkl.com:443",
    "simkl.net",
)
IMAGE_HOSTS_NEAR = (
    "simkl.net",
    "SIMKL.NET",
    "simkl.net.",
    "a.simkl.net",
    "simkl.in",
    "evilsimkl.net",
    "simkl.net.evil.com",
    "user@simkl.net",
    ":pw@simkl.net",
    "user:pw@simkl.net",
    "simkl.net:443",
    "simkl.net:8443",
    "[::1",
)
PATHS = (
    "/posters/",
    "/fanart/",
    "/tv/",
    "/movies/",
    "/anime/",
    "/movie/",
    "/",
    "",
    "/posters/../",
    "/posters/%2e%2e/",
    "/posters/17%2F",
    "/avatars/",
)
SUFFIXES = ("_0.jpg", "_m.webp", "_medium.jpeg", ".jpg", "_0.svg", "", "?x=1", "#x")
SIZES = ("_0", "_m", "_ca", "_c", "_cm", "_s", "_w", "_medium", "_mobile", "_s48", "_d")
ENCODINGS = ("utf-8", "utf-16", "utf-32", "utf-8-sig", "latin-1")
STATUSES = (200, 204, 301, 302, 304, 400, 401, 403, 404, 412, 418, 429, 500, 503)
ANY_URL = re.compile("")
DNS_KEY = ConnectionKey("api.simkl.com", 443, True, True, None, None, None)
TRANSPORT_ERRORS: tuple[Callable[[], Exception], ...] = (
    TimeoutError,
    aiohttp.ServerDisconnectedError,
    lambda: aiohttp.ClientConnectionError("Connection reset by peer"),
    lambda: aiohttp.ClientPayloadError("Response payload is not completed"),
    lambda: aiohttp.ClientConnectorDNSError(DNS_KEY, OSError(-2, "Name not known")),
    lambda: aiohttp.ClientConnectorError(DNS_KEY, ConnectionRefusedError(111, "no")),
    lambda: OSError(101, "Network is unreachable"),
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Return a strategy that draws from each choice as often as its weight says.

    ``st.one_of`` flattens nested choices and weighs every leaf alike, so a
    branch built from many alternatives would crowd out the others.
    """
    pool = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(pool).flatmap(lambda strategy: strategy)


header_text = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=40
)
valid_key = st.from_regex(
    r"[A-Za-z0-9_-]{1,8}(/[A-Za-z0-9_-]{1,8}){0,3}", fullmatch=True
)
key_text = st.one_of(
    valid_key, st.from_regex(r"[A-Za-z0-9_\-/.%@?#:\\ ]{0,24}", fullmatch=True)
)
url_text = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(SCHEMES),
        st.sampled_from(HOSTS),
        st.sampled_from(PATHS),
        key_text,
        st.sampled_from(SUFFIXES),
    ),
)


def near_url(hosts: tuple[str, ...], paths: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Return URLs on hosts close to a trusted one, mostly with an https scheme."""
    return st.builds(
        "".join,
        st.tuples(
            st.sampled_from(("https://", "https://", "https://", "http://", "//")),
            st.sampled_from(hosts),
            st.sampled_from(paths),
            key_text,
            st.sampled_from(SUFFIXES),
        ),
    )


catalogue_url = st.builds(
    "{}/{}/{}{}".format,
    st.sampled_from(("https://simkl.net", "https://simkl.in", "https://eu.simkl.in")),
    st.sampled_from(("posters", "fanart")),
    valid_key,
    st.sampled_from(("_0.jpg", "_m.webp", "_medium.jpeg", "_w.jpg")),
)
string_value = st.one_of(
    st.text(), st.sampled_from(HOSTILE), url_text, key_text, catalogue_url
)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
field_value = st.one_of(string_value, json_value)
id_value = weighted(
    (3, st.integers(min_value=1) | st.integers(min_value=1).map(str)),
    (1, st.integers().map(str) | st.from_regex(r"[0-9]{1,30}", fullmatch=True)),
    (1, st.booleans()),
    (1, st.floats() | field_value),
)
title_value = weighted(
    (3, st.text(min_size=1) | st.text(min_size=1).map(html.escape)),
    (1, field_value),
)
image_value = weighted(
    (1, valid_key),
    (1, catalogue_url),
    (1, st.sampled_from(HOSTILE)),
    (1, url_text),
    (1, field_value),
)
link_value = weighted(
    (2, near_url(ITEM_HOSTS, ("/tv/", "/movies/", "/anime/", "/music/", "/"))),
    (2, url_text),
    (1, st.sampled_from(HOSTILE)),
    (1, field_value),
)
fields = {"url": link_value, "poster": image_value, "fanart": image_value}
# Items that usually parse, so the image and link checks run often, and items
# whose every field may be missing or of any type.
likely_item = st.fixed_dictionaries(
    {"id": id_value, "title": title_value}, optional=fields
)
any_item = st.fixed_dictionaries(
    {}, optional={"id": id_value, "title": title_value, **fields}
)
decoded_body = weighted(
    (3, likely_item),
    (1, any_item),
    (1, json_value),
    (1, st.sampled_from([None, [], {}])),
)


def encode(value: Any, encoding: str, ascii_only: bool) -> bytes:
    """Return a JSON document in an encoding, keeping unencodable characters odd."""
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        return text.encode(encoding, "surrogatepass")
    except UnicodeEncodeError:
        return text.encode(encoding, "replace")


def nest(depth: int, opener: bytes) -> bytes:
    """Return a JSON document of lists or objects nested ``depth`` deep."""
    if opener == b"[":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


encoded_body = st.builds(
    encode, decoded_body, st.sampled_from(ENCODINGS), st.booleans()
)


@st.composite
def truncated_body(draw: st.DrawFn) -> bytes:
    """Return an encoded body cut short at a random byte."""
    body = draw(encoded_body)
    return body[: draw(st.integers(0, max(len(body) - 1, 0)))]


body_bytes = weighted(
    (4, encoded_body),
    (1, truncated_body()),
    (1, st.binary(max_size=64)),
    (1, st.builds(nest, st.integers(1, 50_000), st.sampled_from((b"[", b"{")))),
)
status_code = weighted(
    (4, st.just(200)),
    (1, st.just(429)),
    (1, st.sampled_from(STATUSES)),
    (2, st.integers(100, 599)),
)
retry_after = st.one_of(
    header_text,
    st.integers().map(str),
    st.floats().map(str),
    st.datetimes().map(format_datetime),
    st.datetimes(timezones=st.just(UTC)).map(
        lambda moment: format_datetime(moment, usegmt=True)
    ),
)
answer_headers = st.fixed_dictionaries(
    {},
    optional={
        "Retry-After": retry_after,
        "Content-Type": header_text,
        "ETag": header_text,
        "Last-Modified": header_text,
    },
)
transport_error = weighted((3, st.none()), (1, st.sampled_from(TRANSPORT_ERRORS)))
artwork = st.builds(Artwork, st.sampled_from(ArtworkKind), valid_key)
image_request_url = weighted(
    (1, catalogue_url),
    (2, near_url(IMAGE_HOSTS_NEAR, ("/posters/", "/fanart/", "/"))),
    (2, url_text),
    (1, st.builds(RENDERER.image_url, artwork, st.sampled_from(SIZES))),
    (1, st.text() | st.sampled_from(HOSTILE)),
)
image_content_type = st.one_of(
    st.sampled_from(("image/jpeg", "image/webp", "image/jpeg; charset=binary")),
    header_text,
)


class Runner:
    """Run many examples on one event loop, one HTTP mocker and one session."""

    def __init__(self) -> None:
        """Create the event loop, the mocker and its session."""
        self.loop = asyncio.new_event_loop()
        self.http = HttpMock()
        self.session = self.run(self._create_session())

    async def _create_session(self) -> ClientSession:
        """Return a session answered by the mocker, bound to the running loop."""
        session: ClientSession = self.http.create_session(asyncio.get_running_loop())
        return session

    def run[T](self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine to its end on the loop."""
        return self.loop.run_until_complete(coroutine)

    def client(self) -> Simkl:
        """Return a fresh client on a cleared mocker, so examples share nothing."""
        self.http.clear_requests()
        return Simkl(
            CLIENT_ID, session=self.session, app_name=APP_NAME, app_version=APP_VERSION
        )

    def close(self) -> None:
        """Close the session and the loop."""
        self.run(self.session.close())
        self.loop.close()


@pytest.fixture
def runner() -> Generator[Runner]:
    """Return a runner shared by all examples of one property."""
    shared = Runner()
    yield shared
    shared.close()


def assert_safe_error(err: SimklError, client: Simkl) -> None:
    """Assert an error hides the client_id and carries a sane retry delay."""
    seen: BaseException | None = err
    while seen is not None:
        assert CLIENT_ID not in str(seen)
        assert CLIENT_ID not in repr(seen)
        seen = seen.__cause__ or seen.__context__
    assert CLIENT_ID not in repr(client)
    if isinstance(err, SimklRateLimitError) and err.retry_after is not None:
        assert type(err.retry_after) is float
        assert not math.isnan(err.retry_after)
        assert 0.0 <= err.retry_after <= MAX_RETRY_AFTER


def assert_safe_image_url(image: str) -> None:
    """Assert a rendered image URL stays in the image host's catalogue."""
    assert image.startswith(("https://simkl.net/posters/", "https://simkl.net/fanart/"))
    for forbidden in ("..", "?", "#", "@", "\\", "%"):
        assert forbidden not in image
    assert not any(char.isspace() for char in image)
    assert image.isascii()
    assert URL(image).host == "simkl.net"


def assert_well_typed(item: RecentlyWatched, client: Simkl) -> None:
    """Assert every field of an item has its declared type and safe content."""
    assert type(item.simkl_id) is int
    assert item.simkl_id > 0
    assert type(item.title) is str
    assert item.title
    item.title.encode()
    assert item.title == item.title.strip()
    if item.url is None:
        assert item.media_type is None
    else:
        assert type(item.url) is str
        link = URL(item.url)
        assert link.scheme == "https"
        assert link.host is not None
        assert link.host.rstrip(".").split(".")[-2:] == ["simkl", "com"]
        assert link.user is None
        assert link.password is None
        assert link.explicit_port is None
    assert item.media_type is None or type(item.media_type) is MediaType
    for artwork in (item.poster, item.fanart):
        if artwork is None:
            continue
        assert type(artwork) is Artwork
        assert type(artwork.kind) is ArtworkKind
        assert type(artwork.key) is str
        for size in ("_0", "_m", "_medium"):
            assert_safe_image_url(client.image_url(artwork, size))


def note_artwork(item: RecentlyWatched) -> None:
    """Count in the statistics how many items kept an image."""
    event(f"images kept: {(item.poster is not None) + (item.fanart is not None)}")


@settings(PROFILE)
@given(body=decoded_body)
def test_any_decoded_body_parses_safely(body: Any) -> None:
    """Parse any JSON value into None, a safe item or an invalid response error."""
    try:
        result = RecentlyWatched.from_json(body, IMAGE_HOSTS)
    except SimklInvalidResponseError:
        event("outcome: SimklInvalidResponseError")
        return
    event(f"outcome: {type(result).__name__}")
    if result is not None:
        assert_well_typed(result, RENDERER)
        note_artwork(result)


@settings(PROFILE)
@given(
    simkl_id=st.integers(min_value=1, max_value=2**64 - 1),
    title=st.text().filter(lambda text: bool(text.strip())),
    poster=valid_key,
)
def test_valid_item_keeps_its_fields(simkl_id: int, title: str, poster: str) -> None:
    """Keep the id, the unescaped trimmed title and a key-shaped poster."""
    body = {"id": str(simkl_id), "title": html.escape(title), "poster": poster}

    result = RecentlyWatched.from_json(body, IMAGE_HOSTS)

    assert result is not None
    assert result.simkl_id == simkl_id
    assert result.title == title.strip()
    assert result.poster == Artwork(ArtworkKind.POSTER, poster)
    assert RENDERER.image_url(result.poster) == (
        f"https://simkl.net/posters/{poster}_0.jpg"
    )


@settings(PROFILE)
@given(
    status=status_code,
    body=body_bytes,
    headers=answer_headers,
    failure=transport_error,
)
def test_any_answer_ends_safely(
    runner: Runner,
    status: int,
    body: bytes,
    headers: dict[str, str],
    failure: Callable[[], Exception] | None,
) -> None:
    """End any answer in None, a safe item or a Simkl error that hides the key."""
    client = runner.client()

    runner.http.get(
        REQUEST_URL,
        status=status,
        content=body,
        headers={"Content-Type": "application/json", **headers},
        exc=None if failure is None else failure(),
    )

    async def ask() -> RecentlyWatched | SimklError | None:
        """Ask for the recently watched item against one generated answer."""
        try:
            return await client.recently_watched(USER_ID)
        except SimklError as err:
            return err

    outcome = runner.run(ask())

    event(f"outcome: {type(outcome).__name__}")
    if isinstance(outcome, SimklError):
        assert_safe_error(outcome, client)
        return
    assert failure is None
    assert status == 200
    if outcome is not None:
        assert_well_typed(outcome, client)
        note_artwork(outcome)


@settings(PROFILE)
@given(url=image_request_url, status=status_code, content_type=image_content_type)
def test_image_download_stays_on_image_host(
    runner: Runner, url: str, status: int, content_type: str
) -> None:
    """Fetch only from the image host, and end in an image or a Simkl error."""
    client = runner.client()

    # Any URL at all gets the image, so a request that left the image host
    # would end in a picture unless the host check below catches it.
    runner.http.get(
        ANY_URL,
        status=status,
        content=b"\xff\xd8image",
        headers={"Content-Type": content_type},
    )

    async def fetch() -> tuple[str, bytes] | SimklError:
        """Download one generated URL against a catch-all answer."""
        try:
            return await client.image(url)
        except SimklError as err:
            return err

    outcome = runner.run(fetch())

    for sent in runner.http.sent:
        assert_sent_to_image_host(sent)
    try:
        URL(url)
    except ValueError:
        # The client must refuse a URL yarl cannot parse before sending anything.
        event("outcome: unparsable URL")
        assert isinstance(outcome, SimklInvalidResponseError)
        assert runner.http.sent == []
        return

    event(f"outcome: {type(outcome).__name__}")
    if isinstance(outcome, SimklError):
        assert_safe_error(outcome, client)
        return
    assert status == 200
    assert outcome[0].startswith("image/")


def assert_sent_to_image_host(call: SentRequest) -> None:
    """Assert an image request went to the image host without the client_id."""
    sent = call.url
    assert call.method == "GET"
    assert sent.scheme == "https"
    assert sent.host == "simkl.net"
    assert sent.port == 443
    assert sent.user is None
    assert sent.password is None
    assert not sent.query_string
    assert call.kwargs["allow_redirects"] is False
    assert all(CLIENT_ID not in value for value in call.kwargs["headers"].values())
