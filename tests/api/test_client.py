"""Test the Simkl client against mocked HTTP answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from itertools import pairwise
import json
import ssl
import time
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.client_reqrep import ConnectionKey
from aiohttp.typedefs import Handler
import pytest
from yarl import URL

from custom_components.simkl.api import (
    Artwork,
    ArtworkKind,
    MediaType,
    RecentlyWatched,
    RequestPacer,
    Simkl,
    SimklAuthenticationError,
    SimklConnectionError,
    SimklError,
    SimklInvalidResponseError,
    SimklNotFoundError,
    SimklRateLimitError,
)
from custom_components.simkl.api.client import (
    MAX_BODY_BYTES,
    MAX_IMAGE_BYTES,
    MAX_RETRY_AFTER,
)

from . import APP_NAME, APP_VERSION, CLIENT_ID, ENDPOINT, EXAMPLE, REQUEST_URL, USER_ID
from .mocking import HttpMock, Loopback, SentRequest, Server, mock_answer

POSTER_URL = "https://simkl.net/posters/17/17465posterkey_0.jpg"
FANART_URL = "https://simkl.net/fanart/17/17465fanartkey_0.jpg"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9"
API_KEY_HEADER = "simkl-api-key"
DNS_KEY = ConnectionKey("api.simkl.com", 443, True, True, None, None, None)


def only_call(mock_http: HttpMock) -> tuple[URL, SentRequest]:
    """Return the URL and the call of the single request that was sent."""
    assert len(mock_http.sent) == 1
    (call,) = mock_http.sent
    assert call.method == "GET"
    return call.url, call


def assert_no_secret(err: BaseException, client: Simkl) -> None:
    """Assert the client_id shows neither in an error, its causes nor the client."""
    seen: BaseException | None = err
    while seen is not None:
        assert CLIENT_ID not in str(seen)
        assert CLIENT_ID not in repr(seen)
        seen = seen.__cause__ or seen.__context__
    assert CLIENT_ID not in repr(client)
    assert CLIENT_ID not in str(client)


async def test_documented_example_returns_model(
    client: Simkl, mock_http: HttpMock
) -> None:
    """Turn the documented example answer into the full model."""
    mock_http.get(REQUEST_URL, json=EXAMPLE)

    item = await client.recently_watched(USER_ID)

    assert item == RecentlyWatched(
        simkl_id=17465,
        title="Game of Thrones",
        url="https://simkl.com/tv/17465/game-of-thrones",
        media_type=MediaType.TV,
        poster=Artwork(ArtworkKind.POSTER, "17/17465posterkey"),
        fanart=Artwork(ArtworkKind.FANART, "17/17465fanartkey"),
    )
    assert item.poster is not None
    assert item.fanart is not None
    assert client.image_url(item.poster) == POSTER_URL
    assert client.image_url(item.fanart) == FANART_URL


@pytest.mark.parametrize(
    ("kind", "size", "expected"),
    [
        (ArtworkKind.POSTER, "_0", "https://simkl.net/posters/17/17465key_0.jpg"),
        (ArtworkKind.POSTER, "_m", "https://simkl.net/posters/17/17465key_m.jpg"),
        (ArtworkKind.POSTER, "_ca", "https://simkl.net/posters/17/17465key_ca.jpg"),
        (ArtworkKind.POSTER, "_c", "https://simkl.net/posters/17/17465key_c.jpg"),
        (ArtworkKind.POSTER, "_cm", "https://simkl.net/posters/17/17465key_cm.jpg"),
        (ArtworkKind.POSTER, "_s", "https://simkl.net/posters/17/17465key_s.jpg"),
        (ArtworkKind.POSTER, "_w", "https://simkl.net/posters/17/17465key_w.jpg"),
        (ArtworkKind.FANART, "_0", "https://simkl.net/fanart/17/17465key_0.jpg"),
        (
            ArtworkKind.FANART,
            "_medium",
            "https://simkl.net/fanart/17/17465key_medium.jpg",
        ),
        (
            ArtworkKind.FANART,
            "_mobile",
            "https://simkl.net/fanart/17/17465key_mobile.jpg",
        ),
        (ArtworkKind.FANART, "_w", "https://simkl.net/fanart/17/17465key_w.jpg"),
        (ArtworkKind.FANART, "_s48", "https://simkl.net/fanart/17/17465key_s48.jpg"),
        (ArtworkKind.FANART, "_d", "https://simkl.net/fanart/17/17465key_d.jpg"),
    ],
    ids=[
        "poster-full",
        "poster-m",
        "poster-ca",
        "poster-c",
        "poster-cm",
        "poster-s",
        "poster-w",
        "fanart-full",
        "fanart-medium",
        "fanart-mobile",
        "fanart-w",
        "fanart-s48",
        "fanart-darkened",
    ],
)
def test_image_url_renders_size_suffix(
    client: Simkl, kind: ArtworkKind, size: str, expected: str
) -> None:
    """Render a catalogue key as a JPG URL on simkl.net at a size suffix."""
    assert client.image_url(Artwork(kind, "17/17465key"), size) == expected


async def test_full_image_url_renders_as_key(
    client: Simkl, mock_http: HttpMock
) -> None:
    """Render an image sent as a full simkl.in URL on the configured image host."""
    body = {
        **EXAMPLE,
        "poster": "https://simkl.in/posters/30/3082850367420132f_0.jpg",
        "fanart": "https://simkl.in/fanart/30/3082850367420132f_medium.webp",
    }
    mock_http.get(REQUEST_URL, json=body)

    item = await client.recently_watched(USER_ID)

    assert item is not None
    assert item.poster is not None
    assert item.fanart is not None
    assert client.image_url(item.poster) == (
        "https://simkl.net/posters/30/3082850367420132f_0.jpg"
    )
    assert client.image_url(item.fanart, "_w") == (
        "https://simkl.net/fanart/30/3082850367420132f_w.jpg"
    )


async def test_request_carries_app_and_client_id_header(
    client: Simkl, mock_http: HttpMock
) -> None:
    """Send the app's name and version and the client_id in a header only."""
    mock_http.get(REQUEST_URL, json=EXAMPLE)

    await client.recently_watched(USER_ID)

    url, call = only_call(mock_http)
    assert url.scheme == "https"
    assert url.host == "api.simkl.com"
    assert url.raw_path == f"/users/recently-watched-background/{USER_ID}"
    assert dict(url.query) == {"app-name": APP_NAME, "app-version": APP_VERSION}
    assert CLIENT_ID not in str(url)
    headers = call.kwargs["headers"]
    assert headers["User-Agent"] == f"{APP_NAME}/{APP_VERSION}"
    assert headers[API_KEY_HEADER] == CLIENT_ID
    assert [name for name, value in headers.items() if CLIENT_ID in value] == [
        API_KEY_HEADER
    ]
    assert call.kwargs.get("params") is None
    assert call.kwargs["allow_redirects"] is False


def test_repr_leaves_client_id_out(client: Simkl) -> None:
    """Describe the client by its API URL, never by its client_id."""
    assert repr(client) == "Simkl(api_url='https://api.simkl.com')"
    assert CLIENT_ID not in str(client)


@pytest.mark.parametrize(
    "body",
    [b"null", b"[]", b"{}", b"  null\n", b"[ ]", b"{\n}"],
    ids=["null", "list", "object", "padded-null", "spaced-list", "spaced-object"],
)
async def test_empty_body_means_nothing_watched(
    client: Simkl, mock_http: HttpMock, body: bytes
) -> None:
    """Return None when Simkl answers that the user watched nothing yet."""
    mock_http.get(REQUEST_URL, content=body)

    assert await client.recently_watched(USER_ID) is None


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, SimklAuthenticationError),
        (403, SimklAuthenticationError),
        (412, SimklAuthenticationError),
        (404, SimklNotFoundError),
        (429, SimklRateLimitError),
        (500, SimklConnectionError),
        (502, SimklConnectionError),
        (503, SimklConnectionError),
        (504, SimklConnectionError),
        (400, SimklInvalidResponseError),
        (405, SimklInvalidResponseError),
        (418, SimklInvalidResponseError),
        (201, SimklInvalidResponseError),
        (204, SimklInvalidResponseError),
        (301, SimklInvalidResponseError),
        (302, SimklInvalidResponseError),
        (304, SimklInvalidResponseError),
    ],
    ids=lambda value: str(value) if isinstance(value, int) else value.__name__,
)
async def test_status_maps_to_error(
    client: Simkl, mock_http: HttpMock, status: int, error: type[SimklError]
) -> None:
    """Raise the error that matches an HTTP status, whatever the body says."""
    mock_http.get(
        REQUEST_URL,
        status=status,
        json={"error": "client_id_failed", "code": status, "message": "x"},
    )

    with pytest.raises(error) as err:
        await client.recently_watched(USER_ID)

    assert type(err.value) is error
    assert_no_secret(err.value, client)


async def test_redirect_is_not_followed(client: Simkl, mock_http: HttpMock) -> None:
    """Refuse a redirect instead of following it to its target."""
    target = "https://simkl.net/posters/17/17465posterkey_0.jpg"
    mock_http.get(REQUEST_URL, status=302, headers={"Location": target}, content=b"")
    mock_http.get(target, json=EXAMPLE)

    with pytest.raises(SimklInvalidResponseError, match="302"):
        await client.recently_watched(USER_ID)

    assert mock_http.sent_to(target) == []
    assert [call.kwargs["allow_redirects"] for call in mock_http.sent] == [False]


async def redirecting_client(
    loopback: Loopback, path: str, status: int, target_answer: Handler
) -> tuple[Simkl, Server, Server]:
    """Return a client on a server that redirects ``path`` to a second server."""
    target = await loopback.serve({path: target_answer})
    location = str(target.url.with_path(path))

    async def redirect(request: web.Request) -> web.Response:
        """Send the client to the same path on the target server."""
        return web.Response(status=status, headers={"Location": location})

    origin = await loopback.serve({path: redirect})
    client = Simkl(
        CLIENT_ID,
        session=loopback.session,
        app_name=APP_NAME,
        app_version=APP_VERSION,
        api_url=str(origin.url),
        image_url=str(origin.url),
    )
    return client, origin, target


REDIRECT_STATUSES = [301, 302, 303, 307, 308]


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
async def test_redirect_is_not_followed_on_the_wire(
    loopback: Loopback, status: int
) -> None:
    """Refuse a real server's redirect to another server without following it."""
    path = URL(ENDPOINT).path

    async def item(request: web.Request) -> web.Response:
        """Answer with the documented example."""
        return web.json_response(EXAMPLE)

    client, origin, target = await redirecting_client(loopback, path, status, item)

    with pytest.raises(SimklInvalidResponseError, match=str(status)):
        await client.recently_watched(USER_ID)

    assert origin.paths == [path]
    assert target.paths == []


@pytest.mark.parametrize("status", REDIRECT_STATUSES)
async def test_image_redirect_is_not_followed_on_the_wire(
    loopback: Loopback, status: int
) -> None:
    """Refuse a real image server's redirect without following it."""
    path = "/posters/17/17465posterkey_0.jpg"

    async def image(request: web.Request) -> web.Response:
        """Answer with a JPG."""
        return web.Response(body=JPEG, content_type="image/jpeg")

    client, origin, target = await redirecting_client(loopback, path, status, image)

    with pytest.raises(SimklInvalidResponseError):
        await client.image(str(origin.url.with_path(path)))

    assert origin.paths == [path]
    assert target.paths == []


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("30", 30.0),
        ("0", 0.0),
        ("2.5", 2.5),
        (" 7 ", 7.0),
        ("-5", 0.0),
        ("99999999", MAX_RETRY_AFTER),
        ("inf", MAX_RETRY_AFTER),
        ("nan", None),
        ("soon", None),
        ("", None),
        ("Mon, 99 Foo 2024 25:61:61 GMT", None),
        (None, None),
    ],
    ids=[
        "seconds",
        "zero",
        "fraction",
        "padded",
        "negative",
        "huge",
        "infinite",
        "not-a-number",
        "garbage",
        "empty",
        "broken-date",
        "absent",
    ],
)
async def test_rate_limit_reads_retry_after(
    client: Simkl,
    mock_http: HttpMock,
    retry_after: str | None,
    expected: float | None,
) -> None:
    """Read Retry-After as seconds, clamped, or None when it is unreadable."""
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    mock_http.get(REQUEST_URL, status=429, headers=headers)

    with pytest.raises(SimklRateLimitError) as err:
        await client.recently_watched(USER_ID)

    assert err.value.retry_after == expected


def http_date(moment: datetime, style: str) -> str:
    """Return a moment as a Retry-After date in one of the styles servers send."""
    if style == "gmt":
        return format_datetime(moment, usegmt=True)
    if style == "offset":
        return format_datetime(moment.astimezone(timezone(timedelta(hours=2))))
    return moment.strftime("%a, %d %b %Y %H:%M:%S -0000")


@pytest.mark.parametrize(
    ("delta", "style", "low", "high"),
    [
        (timedelta(minutes=2), "gmt", 110.0, 120.0),
        (timedelta(minutes=2), "offset", 110.0, 120.0),
        (timedelta(minutes=2), "no-zone", 110.0, 120.0),
        (timedelta(hours=-1), "gmt", 0.0, 0.0),
        (timedelta(days=30), "gmt", MAX_RETRY_AFTER, MAX_RETRY_AFTER),
    ],
    ids=["future", "future-with-offset", "future-without-zone", "past", "far-future"],
)
async def test_rate_limit_reads_retry_after_date(
    client: Simkl,
    mock_http: HttpMock,
    delta: timedelta,
    style: str,
    low: float,
    high: float,
) -> None:
    """Turn a Retry-After HTTP date into the seconds left until it, clamped."""
    retry_after = http_date(datetime.now(UTC) + delta, style)
    mock_http.get(REQUEST_URL, status=429, headers={"Retry-After": retry_after})

    with pytest.raises(SimklRateLimitError) as err:
        await client.recently_watched(USER_ID)

    assert err.value.retry_after is not None
    assert low <= err.value.retry_after <= high


@pytest.mark.parametrize(
    "exception",
    [
        TimeoutError(),
        TimeoutError("read timed out"),
        aiohttp.ServerTimeoutError("Timeout on reading data from socket"),
        aiohttp.ClientConnectionError("Connection reset by peer"),
        aiohttp.ClientConnectorDNSError(
            DNS_KEY, OSError(-2, "Name or service not known")
        ),
        aiohttp.ClientConnectorError(DNS_KEY, ConnectionRefusedError(111, "refused")),
        aiohttp.ClientConnectorCertificateError(
            DNS_KEY, ssl.SSLCertVerificationError("certificate verify failed")
        ),
        aiohttp.ServerDisconnectedError(),
        aiohttp.ClientPayloadError("Response payload is not completed"),
        OSError(101, "Network is unreachable"),
    ],
    ids=[
        "timeout",
        "timeout-with-message",
        "server-timeout",
        "connection-error",
        "dns-error",
        "connection-refused",
        "certificate-error",
        "server-disconnected",
        "payload-error",
        "os-error",
    ],
)
async def test_transport_error_raises_connection_error(
    client: Simkl, mock_http: HttpMock, exception: Exception
) -> None:
    """Raise a connection error, chained to its cause, when the transport fails."""
    mock_http.get(REQUEST_URL, exc=exception)

    with pytest.raises(SimklConnectionError) as err:
        await client.recently_watched(USER_ID)

    assert err.value.__cause__ is exception
    assert_no_secret(err.value, client)


async def test_slow_answer_times_out(
    session: aiohttp.ClientSession, mock_http: HttpMock
) -> None:
    """Give up with a connection error when Simkl answers after the timeout."""
    client = Simkl(
        CLIENT_ID,
        session=session,
        app_name=APP_NAME,
        app_version=APP_VERSION,
        request_timeout=0.05,
    )

    async def answer_late(method: str, url: URL, data: object) -> Any:
        """Answer long after the client's timeout."""
        await asyncio.sleep(5)
        return mock_answer(method, url, json=EXAMPLE)

    mock_http.get(REQUEST_URL, side_effect=answer_late)

    with pytest.raises(SimklConnectionError, match="Timeout") as err:
        await client.recently_watched(USER_ID)

    assert isinstance(err.value.__cause__, TimeoutError)


NESTED_LIST = b"[" * 100_000 + b"]" * 100_000
NESTED_TITLE = b'{"id": 1, "title": ' + b'{"a":' * 40_000 + b"1" + b"}" * 40_001
HTML_PAGE = b"""<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Simkl is upgrading</h1><p>Back soon &amp; thanks.</p></body></html>
"""


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"not json", "text/plain"),
        (HTML_PAGE, "text/html"),
        (b'{"id": 17465, "url": "https://simkl.com/tv/17465/ga', "application/json"),
        (b'{"id": 17465, "title": "Game of Thrones"', "application/json"),
        (NESTED_LIST, "application/json"),
        (NESTED_TITLE, "application/json"),
        (b"\xff\xfe\xfd garbage \x00\x01", "application/json"),
        (b'{"title": "\xff\xfe"}', "application/json"),
        (b'"Game of Thrones"', "application/json"),
        (b"17465", "application/json"),
        (b"true", "application/json"),
        (b"NaN", "application/json"),
        (json.dumps([EXAMPLE]).encode(), "application/json"),
        (json.dumps(["17/17465posterkey"]).encode(), "application/json"),
        (b'{"id": 17465, "title": "A"} {"id": 2}', "application/json"),
    ],
    ids=[
        "empty",
        "plain-text",
        "html-page",
        "truncated-string",
        "truncated-object",
        "deeply-nested-list",
        "deeply-nested-field",
        "random-bytes",
        "invalid-utf8",
        "json-string",
        "json-number",
        "json-bool",
        "json-nan",
        "list-of-item",
        "list-of-string",
        "two-documents",
    ],
)
async def test_unreadable_body_is_refused(
    client: Simkl, mock_http: HttpMock, body: bytes, content_type: str
) -> None:
    """Refuse a 200 answer whose body is not one JSON object of the item."""
    mock_http.get(REQUEST_URL, content=body, headers={"Content-Type": content_type})

    with pytest.raises(SimklInvalidResponseError) as err:
        await client.recently_watched(USER_ID)

    assert_no_secret(err.value, client)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"id": "17465"}, None),
        ({"id": "seventeen"}, "id"),
        ({"id": True}, "id"),
        ({"id": -17465}, "id"),
        ({"id": 17465.5}, "id"),
        ({"title": 17465}, "title"),
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
    ],
    ids=[
        "id-digit-string",
        "id-word",
        "id-bool",
        "id-negative",
        "id-float",
        "title-number",
        "title-empty",
        "title-null",
    ],
)
async def test_field_types_are_checked(
    client: Simkl, mock_http: HttpMock, changes: dict[str, Any], error: str | None
) -> None:
    """Accept an id given as digits and refuse ids and titles of the wrong type."""
    mock_http.get(REQUEST_URL, json={**EXAMPLE, **changes})

    if error is None:
        item = await client.recently_watched(USER_ID)
        assert item is not None
        assert item.simkl_id == 17465
        return
    with pytest.raises(SimklInvalidResponseError, match=error):
        await client.recently_watched(USER_ID)


async def test_missing_title_is_refused(client: Simkl, mock_http: HttpMock) -> None:
    """Refuse an item without a title."""
    mock_http.get(REQUEST_URL, json={"id": 17465})

    with pytest.raises(SimklInvalidResponseError, match="title"):
        await client.recently_watched(USER_ID)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("Marvel&#39;s Agents of S.H.I.E.L.D.", "Marvel's Agents of S.H.I.E.L.D."),
        ("進撃の巨人 Attack on Titan", "進撃の巨人 Attack on Titan"),
        ("Popcorn time 🍿🎬", "Popcorn time 🍿🎬"),
    ],
    ids=["amp-entity", "apostrophe-entity", "japanese", "emoji"],
)
@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "raw-utf8"])
async def test_title_is_decoded(
    client: Simkl,
    mock_http: HttpMock,
    title: str,
    expected: str,
    ensure_ascii: bool,
) -> None:
    """Decode HTML entities and keep unicode, escaped or sent as UTF-8."""
    body = json.dumps({**EXAMPLE, "title": title}, ensure_ascii=ensure_ascii)
    mock_http.get(REQUEST_URL, content=body.encode())

    item = await client.recently_watched(USER_ID)

    assert item is not None
    assert item.title == expected


@pytest.mark.parametrize(
    ("url", "media_type"),
    [
        ("https://simkl.com/tv/17465/game-of-thrones", MediaType.TV),
        ("https://simkl.com/movies/53992/inception", MediaType.MOVIE),
        ("https://simkl.com/anime/39687/shingeki-no-kyojin", MediaType.ANIME),
        ("https://simkl.com/books/1/x", None),
        (None, None),
    ],
    ids=["tv", "movies", "anime", "unknown", "missing"],
)
async def test_media_type_follows_item_url(
    client: Simkl, mock_http: HttpMock, url: str | None, media_type: MediaType
) -> None:
    """Read the media type from the first path segment of the item's link."""
    body = {key: value for key, value in EXAMPLE.items() if key != "url"}
    if url is not None:
        body["url"] = url
    mock_http.get(REQUEST_URL, json=body)

    item = await client.recently_watched(USER_ID)

    assert item is not None
    assert item.url == url
    assert item.media_type is media_type


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example/posters/17/17465posterkey_0.jpg",
        "http://simkl.net/posters/17/17465posterkey_0.jpg",
        "17/../../evil",
        "//evil.example/x",
        "https://simkl.net.evil.com/posters/17/17465posterkey_0.jpg",
        "javascript:alert(1)",
        None,
    ],
    ids=[
        "other-host",
        "http",
        "dot-dot",
        "scheme-relative",
        "look-alike-host",
        "javascript",
        "null",
    ],
)
async def test_hostile_image_field_is_dropped(
    client: Simkl, mock_http: HttpMock, value: str | None
) -> None:
    """Keep the item but drop image fields that could point elsewhere."""
    mock_http.get(REQUEST_URL, json={**EXAMPLE, "poster": value, "fanart": value})

    item = await client.recently_watched(USER_ID)

    assert item is not None
    assert item.simkl_id == 17465
    assert item.poster is None
    assert item.fanart is None


async def test_body_at_size_limit_is_read(client: Simkl, mock_http: HttpMock) -> None:
    """Read a body of exactly the size limit."""
    body = json.dumps(EXAMPLE).encode()
    mock_http.get(REQUEST_URL, content=body.ljust(MAX_BODY_BYTES))

    item = await client.recently_watched(USER_ID)

    assert item is not None
    assert item.simkl_id == 17465


@pytest.mark.parametrize(
    "size",
    [MAX_BODY_BYTES + 1, 4 * MAX_BODY_BYTES],
    ids=["one-byte-over", "far-over"],
)
async def test_too_large_body_is_refused(
    client: Simkl, mock_http: HttpMock, size: int
) -> None:
    """Refuse a body larger than the size limit."""
    body = json.dumps(EXAMPLE).encode()
    mock_http.get(REQUEST_URL, content=body.ljust(size))

    with pytest.raises(SimklInvalidResponseError, match="too large"):
        await client.recently_watched(USER_ID)


@pytest.mark.parametrize(
    ("answer_headers", "sent_headers"),
    [
        ({"ETag": '"v1"'}, {"If-None-Match": '"v1"'}),
        ({"ETag": 'W/"weak-1"'}, {"If-None-Match": 'W/"weak-1"'}),
        (
            {"Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"},
            {"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"},
        ),
        (
            {"ETag": '"v1"', "Last-Modified": "Wed, 21 Oct 2015 07:28:00 GMT"},
            {
                "If-None-Match": '"v1"',
                "If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT",
            },
        ),
    ],
    ids=["etag", "weak-etag", "last-modified", "both"],
)
async def test_not_modified_returns_cached_model(
    client: Simkl,
    mock_http: HttpMock,
    answer_headers: dict[str, str],
    sent_headers: dict[str, str],
) -> None:
    """Send the last answer's validators and reuse its model on a 304."""
    mock_http.get_in_turn(
        REQUEST_URL,
        {"json": EXAMPLE, "headers": answer_headers},
        {"status": 304, "content": b"", "headers": answer_headers},
    )

    first = await client.recently_watched(USER_ID)
    second = await client.recently_watched(USER_ID)

    assert first is not None
    assert second is first
    (initial, conditional) = mock_http.sent_to(REQUEST_URL)
    for name in ("If-None-Match", "If-Modified-Since"):
        assert name not in initial.kwargs["headers"]
        assert conditional.kwargs["headers"].get(name) == sent_headers.get(name)


async def test_not_modified_keeps_nothing_watched(
    client: Simkl, mock_http: HttpMock
) -> None:
    """Return None again on a 304 after an empty answer with an ETag."""
    mock_http.get_in_turn(
        REQUEST_URL,
        {"content": b"null", "headers": {"ETag": '"empty"'}},
        {"status": 304, "content": b""},
    )

    assert await client.recently_watched(USER_ID) is None
    assert await client.recently_watched(USER_ID) is None
    (_, conditional) = mock_http.sent_to(REQUEST_URL)
    assert conditional.kwargs["headers"]["If-None-Match"] == '"empty"'


async def test_answer_without_validators_sends_none(
    client: Simkl, mock_http: HttpMock
) -> None:
    """Send no conditional headers when the last answer carried no validators."""
    tagged = {"json": EXAMPLE, "headers": {"ETag": '"v1"'}}
    mock_http.get_in_turn(
        REQUEST_URL,
        tagged,
        tagged,
        {"json": {**EXAMPLE, "title": "Changed"}},
        {"json": EXAMPLE},
    )

    await client.recently_watched(USER_ID)
    await client.recently_watched(USER_ID)
    changed = await client.recently_watched(USER_ID)
    await client.recently_watched(USER_ID)

    assert changed is not None
    assert changed.title == "Changed"
    sent = [call.kwargs["headers"] for call in mock_http.sent_to(REQUEST_URL)]
    assert ["If-None-Match" in headers for headers in sent] == [
        False,
        True,
        True,
        False,
    ]
    assert not any("If-Modified-Since" in headers for headers in sent)


async def test_validators_are_kept_per_user(client: Simkl, mock_http: HttpMock) -> None:
    """Send a user's validators only with that user's requests."""
    other_url = REQUEST_URL.replace(f"/{USER_ID}?", "/52?")
    mock_http.get(REQUEST_URL, json=EXAMPLE, headers={"ETag": '"v1"'})
    mock_http.get(other_url, json=EXAMPLE)

    await client.recently_watched(USER_ID)
    await client.recently_watched(52)

    (call,) = mock_http.sent_to(other_url)
    assert "If-None-Match" not in call.kwargs["headers"]


async def test_not_modified_after_error_returns_cached_model(
    client: Simkl, mock_http: HttpMock
) -> None:
    """Keep the cached model across a failed poll and reuse it on a 304."""
    mock_http.get_in_turn(
        REQUEST_URL,
        {"json": EXAMPLE, "headers": {"ETag": '"v1"'}},
        {"status": 503},
        {"status": 304, "content": b""},
    )

    first = await client.recently_watched(USER_ID)
    with pytest.raises(SimklConnectionError):
        await client.recently_watched(USER_ID)

    assert await client.recently_watched(USER_ID) is first


async def test_image_is_downloaded_without_client_id(
    client: Simkl, mock_http: HttpMock
) -> None:
    """Download an image from the image host with no client_id and no app query."""
    mock_http.get(
        POSTER_URL, content=JPEG, headers={"Content-Type": "image/jpeg; charset=binary"}
    )

    assert await client.image(POSTER_URL) == ("image/jpeg", JPEG)

    url, call = only_call(mock_http)
    assert str(url) == POSTER_URL
    assert not url.query
    headers = call.kwargs["headers"]
    assert API_KEY_HEADER not in headers
    assert all(CLIENT_ID not in value for value in headers.values())
    assert headers["User-Agent"] == f"{APP_NAME}/{APP_VERSION}"
    assert headers["Accept"] == "image/*"
    assert call.kwargs["allow_redirects"] is False


FOREIGN_IMAGE_URLS = {
    "other-host": "https://evil.example/posters/17/17465posterkey_0.jpg",
    "other-image-host": "https://simkl.in/posters/17/17465posterkey_0.jpg",
    "api-host": "https://api.simkl.com/posters/17/17465posterkey_0.jpg",
    "http": "http://simkl.net/posters/17/17465posterkey_0.jpg",
    "ftp": "ftp://simkl.net/posters/17/17465posterkey_0.jpg",
    "other-port": "https://simkl.net:8443/posters/17/17465posterkey_0.jpg",
    "query": "https://simkl.net/posters/17/17465posterkey_0.jpg?x=1",
    "userinfo": "https://user:pw@simkl.net/posters/17/17465posterkey_0.jpg",
    "user-only": "https://user@simkl.net/posters/17/17465posterkey_0.jpg",
    "password-only": "https://:pw@simkl.net/posters/17/17465posterkey_0.jpg",
    "look-alike-host": "https://simkl.net.evil.com/posters/17/17465posterkey_0.jpg",
    "host-ending-in-simkl": "https://evilsimkl.net/posters/17/17465posterkey_0.jpg",
    "image-host-subdomain": "https://a.simkl.net/posters/17/17465posterkey_0.jpg",
    "javascript": "javascript:alert(1)",
    "scheme-relative": "//simkl.net/posters/17/17465posterkey_0.jpg",
    "relative": "posters/17/17465posterkey_0.jpg",
    "empty": "",
    "malformed": "https://[::1/posters/17/17465posterkey_0.jpg",
}


@pytest.mark.parametrize(
    "url", FOREIGN_IMAGE_URLS.values(), ids=list(FOREIGN_IMAGE_URLS.keys())
)
async def test_image_refuses_other_hosts(
    client: Simkl, mock_http: HttpMock, url: str
) -> None:
    """Refuse, without sending anything, an image URL off the image host."""
    with pytest.raises(SimklInvalidResponseError):
        await client.image(url)

    assert mock_http.sent == []


async def test_image_host_follows_configuration(
    session: aiohttp.ClientSession, mock_http: HttpMock
) -> None:
    """Fetch images only from the image host the client was configured with."""
    client = Simkl(
        CLIENT_ID,
        session=session,
        app_name=APP_NAME,
        app_version=APP_VERSION,
        image_url="http://127.0.0.1:8123",
    )
    local = client.image_url(Artwork(ArtworkKind.POSTER, "17/17465posterkey"))
    mock_http.get(local, content=JPEG, headers={"Content-Type": "image/jpeg"})

    assert local == "http://127.0.0.1:8123/posters/17/17465posterkey_0.jpg"
    assert await client.image(local) == ("image/jpeg", JPEG)
    with pytest.raises(SimklInvalidResponseError):
        await client.image(POSTER_URL)
    assert len(mock_http.sent) == 1


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"content": b"<html></html>", "headers": {"Content-Type": "text/html"}}, None),
        (
            {"content": JPEG, "headers": {"Content-Type": "application/octet-stream"}},
            None,
        ),
        ({"content": JPEG, "headers": {"Content-Type": ""}}, None),
        ({"content": b"", "headers": {"Content-Type": "image/jpeg"}}, None),
        ({"status": 302, "headers": {"Location": FANART_URL}}, None),
        ({"status": 204, "headers": {"Content-Type": "image/jpeg"}}, None),
        ({"status": 404}, SimklNotFoundError),
        ({"status": 503}, SimklConnectionError),
        ({"exc": TimeoutError()}, SimklConnectionError),
    ],
    ids=[
        "html",
        "octet-stream",
        "no-content-type",
        "empty-body",
        "redirect",
        "no-content",
        "not-found",
        "server-error",
        "timeout",
    ],
)
async def test_image_refuses_non_image_answer(
    client: Simkl,
    mock_http: HttpMock,
    answer: dict[str, Any],
    error: type[SimklError] | None,
) -> None:
    """Refuse an answer that is not an image, and never follow a redirect."""
    mock_http.get(POSTER_URL, **answer)
    mock_http.get(FANART_URL, content=JPEG, headers={"Content-Type": "image/jpeg"})

    with pytest.raises(error or SimklInvalidResponseError) as err:
        await client.image(POSTER_URL)

    assert mock_http.sent_to(FANART_URL) == []
    assert [call.kwargs["allow_redirects"] for call in mock_http.sent] == [False]
    assert_no_secret(err.value, client)


async def test_image_at_size_limit_is_read(client: Simkl, mock_http: HttpMock) -> None:
    """Read an image of exactly the image size limit."""
    mock_http.get(
        POSTER_URL,
        content=JPEG.ljust(MAX_IMAGE_BYTES),
        headers={"Content-Type": "image/jpeg"},
    )

    content_type, image = await client.image(POSTER_URL)

    assert content_type == "image/jpeg"
    assert len(image) == MAX_IMAGE_BYTES


async def test_too_large_image_is_refused(client: Simkl, mock_http: HttpMock) -> None:
    """Refuse an image larger than the image size limit."""
    mock_http.get(
        POSTER_URL,
        content=JPEG.ljust(MAX_IMAGE_BYTES + 1),
        headers={"Content-Type": "image/jpeg"},
    )

    with pytest.raises(SimklInvalidResponseError, match="too large"):
        await client.image(POSTER_URL)


ERROR_ANSWERS: dict[str, dict[str, Any]] = {
    "401": {"status": 401, "json": {"error": "client_id_failed"}},
    "403": {"status": 403},
    "412": {"status": 412, "json": {"error": "client_failed"}},
    "404": {"status": 404},
    "429": {"status": 429, "headers": {"Retry-After": "30"}},
    "500": {"status": 500},
    "418": {"status": 418},
    "302": {"status": 302, "headers": {"Location": f"{ENDPOINT}?client_id=x"}},
    "not-json": {"content": b"<html>oops</html>"},
    "not-object": {"content": b"[1, 2]"},
    "bad-id": {"json": {**EXAMPLE, "id": "abc"}},
    "too-large": {"content": b" " * (MAX_BODY_BYTES + 1)},
    "timeout": {"exc": TimeoutError()},
    "connection": {"exc": aiohttp.ClientConnectionError("reset")},
    "dns": {
        "exc": aiohttp.ClientConnectorDNSError(
            DNS_KEY, OSError(-3, "Temporary failure in name resolution")
        )
    },
}


@pytest.mark.parametrize(
    "answer", ERROR_ANSWERS.values(), ids=list(ERROR_ANSWERS.keys())
)
async def test_errors_never_show_client_id(
    client: Simkl, mock_http: HttpMock, answer: dict[str, Any]
) -> None:
    """Keep the client_id out of every error, its causes and the client's repr."""
    mock_http.get(REQUEST_URL, **answer)

    with pytest.raises(SimklError) as err:
        await client.recently_watched(USER_ID)

    assert_no_secret(err.value, client)


async def test_unmatched_request_error_never_shows_client_id(
    loopback: Loopback, refusing_port: int
) -> None:
    """Keep the client_id out of the error of a request nothing answers."""
    client = Simkl(
        CLIENT_ID,
        session=loopback.session,
        app_name=APP_NAME,
        app_version=APP_VERSION,
        api_url=f"http://127.0.0.1:{refusing_port}",
    )

    with pytest.raises(SimklConnectionError) as err:
        await client.recently_watched(USER_ID)

    assert_no_secret(err.value, client)


def assert_spaced(times: list[float], spacing: float) -> None:
    """Assert that times are in order and at least ``spacing`` apart."""
    # The loop may run a timer up to one clock tick before it is due.
    tolerance = time.get_clock_info("monotonic").resolution
    for earlier, later in pairwise(times):
        assert later - earlier >= spacing - tolerance


async def start_waiters(pacer: RequestPacer, count: int) -> list[asyncio.Task[float]]:
    """Start ``count`` tasks that wait on a pacer and return their start time."""
    loop = asyncio.get_running_loop()

    async def start() -> float:
        """Wait for a turn and return when it came."""
        await pacer.wait()
        return loop.time()

    tasks = [asyncio.create_task(start()) for _ in range(count)]
    await asyncio.sleep(0)
    return tasks


async def test_pacer_spaces_concurrent_waits() -> None:
    """Start concurrent waiters one spacing apart, in the order they asked."""
    spacing = 0.05
    pacer = RequestPacer(spacing)
    began = asyncio.get_running_loop().time()

    times = await asyncio.gather(*await start_waiters(pacer, 5))

    assert times[0] - began < spacing
    assert_spaced(times, spacing)


async def test_pacer_keeps_spacing_after_loop_stall() -> None:
    """Keep waiters apart when a blocked event loop wakes them all late."""
    spacing = 0.05
    pacer = RequestPacer(spacing)
    tasks = await start_waiters(pacer, 5)

    asyncio.get_running_loop().call_soon(time.sleep, 4 * spacing)
    times = await asyncio.gather(*tasks)

    assert_spaced(times, spacing)


async def test_pacer_lets_idle_request_start_at_once() -> None:
    """Start a request at once when the last one began over a spacing ago."""
    spacing = 0.05
    pacer = RequestPacer(spacing)
    loop = asyncio.get_running_loop()
    await pacer.wait()
    await asyncio.sleep(spacing * 2)

    before = loop.time()
    await pacer.wait()

    assert loop.time() - before < spacing


async def test_pacer_skips_cancelled_waiter() -> None:
    """Give a cancelled waiter's turn to the next waiter."""
    spacing = 0.05
    pacer = RequestPacer(spacing)
    loop = asyncio.get_running_loop()
    await pacer.wait()
    cancelled = asyncio.create_task(pacer.wait())
    await asyncio.sleep(0)
    cancelled.cancel()

    before = loop.time()
    await pacer.wait()

    assert cancelled.cancelled()
    assert loop.time() - before < 2 * spacing


async def test_client_waits_on_shared_pacer(
    session: aiohttp.ClientSession, mock_http: HttpMock
) -> None:
    """Send the requests of two clients sharing a pacer one spacing apart."""
    spacing = 0.05
    pacer = RequestPacer(spacing)
    loop = asyncio.get_running_loop()
    clients = [
        Simkl(
            client_id,
            session=session,
            app_name=APP_NAME,
            app_version=APP_VERSION,
            pacer=pacer,
        )
        for client_id in (CLIENT_ID, "other-client-id")
    ]
    sent: list[float] = []

    async def note_time(method: str, url: URL, data: object) -> Any:
        """Note when a request reached the network."""
        sent.append(loop.time())
        return mock_answer(method, url, json=EXAMPLE)

    mock_http.get(REQUEST_URL, side_effect=note_time)
    began = loop.time()

    await asyncio.gather(*(client.recently_watched(USER_ID) for client in clients * 2))

    # Request n leaves no earlier than n spacings after the first one could.
    tolerance = time.get_clock_info("monotonic").resolution
    assert len(sent) == 4
    for number, moment in enumerate(sent):
        assert moment - began >= number * (spacing - tolerance)
