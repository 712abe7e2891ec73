"""Tests for the Simkl stand-in: answers, images, control API and counters."""

from __future__ import annotations

from email.utils import formatdate
import io
from typing import Any

from aiohttp import ClientResponse, ClientSession
from PIL import Image
import pytest

from . import (
    GAME_OF_THRONES,
    INCEPTION,
    PRESETS,
    StandIn,
    StandInConfig,
    StandInProcess,
    image_bytes,
)
from .catalogue import IMAGE_FILES, IMAGES_DIR

API = "/users/recently-watched-background"
KEY = {"simkl-api-key": "test-client-id"}


async def _get(
    session: ClientSession,
    standin: StandIn,
    path: str,
    headers: dict[str, str] | None = None,
) -> tuple[ClientResponse, bytes]:
    """GET a path without following redirects; return the response and body."""
    async with session.get(
        f"{standin.url}{path}", headers=headers, allow_redirects=False
    ) as response:
        return response, await response.read()


async def _control(
    session: ClientSession, standin: StandIn, method: str, path: str, data: Any = None
) -> Any:
    """Call the control API and return its JSON answer."""
    async with session.request(
        method, f"{standin.url}/_standin{path}", json=data
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def test_documented_example(standin: StandIn, session: ClientSession) -> None:
    """Answer the documentation's example for user 51, by header or by query."""
    for path, headers in ((f"{API}/51", KEY), (f"{API}/51?client_id=abc", None)):
        response, body = await _get(session, standin, path, headers)
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == {
            "id": 17465,
            "url": "https://simkl.com/tv/17465/game-of-thrones",
            "title": "Game of Thrones",
            "poster": "17/17465posterkey",
            "fanart": "17/17465fanartkey",
        }
        assert body


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (f"{API}/51", None),
        (f"{API}/51", {"simkl-api-key": ""}),
        (f"{API}/51", {"simkl-api-key": "rejected-client-id"}),
        (f"{API}/51?client_id=rejected-client-id", None),
    ],
)
async def test_client_id_failed(
    standin: StandIn,
    session: ClientSession,
    path: str,
    headers: dict[str, str] | None,
) -> None:
    """Answer 412 client_id_failed to a missing or rejected client_id."""
    response, _ = await _get(session, standin, path, headers)
    assert response.status == 412
    assert (await response.json())["error"] == "client_id_failed"


async def test_accepted_client_ids(
    socket_enabled: None, session: ClientSession
) -> None:
    """Accept only the configured client_ids when a list is given."""
    config = StandInConfig(accepted_client_ids=frozenset({"good"}))
    async with StandIn(config) as standin:
        good, _ = await _get(session, standin, f"{API}/51", {"simkl-api-key": "good"})
        other, _ = await _get(session, standin, f"{API}/51", {"simkl-api-key": "x"})
        await _control(session, standin, "POST", "/client_ids", {"accepted": None})
        now_any, _ = await _get(session, standin, f"{API}/51", {"simkl-api-key": "x"})
    assert (good.status, other.status, now_any.status) == (200, 412, 200)


async def test_unknown_and_private_users(
    standin: StandIn, session: ClientSession
) -> None:
    """Answer 404 for unknown users and private profiles."""
    unknown, _ = await _get(session, standin, f"{API}/52", KEY)
    assert unknown.status == 404
    await _control(session, standin, "POST", "/users/51", {"private": True})
    private, _ = await _get(session, standin, f"{API}/51", KEY)
    assert private.status == 404
    await _control(session, standin, "POST", "/users/51", {"private": False})
    public, _ = await _get(session, standin, f"{API}/51", KEY)
    assert public.status == 200
    await _control(session, standin, "DELETE", "/users/51")
    removed, _ = await _get(session, standin, f"{API}/51", KEY)
    assert removed.status == 404


async def test_image_redirects(standin: StandIn, session: ClientSession) -> None:
    """Redirect ?image=poster|fanart to the JPG the stand-in serves."""
    for image, folder, key in (
        ("poster", "posters", GAME_OF_THRONES.poster),
        ("fanart", "fanart", GAME_OF_THRONES.fanart),
    ):
        response, body = await _get(
            session, standin, f"{API}/51?image={image}&client_id=abc"
        )
        assert response.status == 302
        assert body == b""
        location = response.headers["Location"]
        assert location == f"{standin.url}/{folder}/{key}_0.jpg"
    bad, _ = await _get(session, standin, f"{API}/51?image=banner", KEY)
    assert bad.status == 400
    standin.state.set_answer(51, "got-no-images")
    missing, _ = await _get(session, standin, f"{API}/51?image=poster", KEY)
    assert missing.status == 404


@pytest.mark.parametrize("suffix", ["_0", "_m", "_mobile", "_medium", "_w"])
async def test_images_any_size_suffix(
    standin: StandIn, session: ClientSession, suffix: str
) -> None:
    """Serve each catalogue JPG under every size suffix."""
    for (folder, key), name in IMAGE_FILES.items():
        response, body = await _get(session, standin, f"/{folder}/{key}{suffix}.jpg")
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        assert body == (IMAGES_DIR / name).read_bytes()


async def test_unknown_images_and_paths(
    standin: StandIn, session: ClientSession
) -> None:
    """Answer 404 to unknown image keys, names without a size and other paths."""
    for path in ("/posters/17/nokey_0.jpg", "/fanart/17/17465fanartkey.jpg", "/x"):
        response, _ = await _get(session, standin, path)
        assert response.status == 404


def test_images_are_real_and_distinct() -> None:
    """Keep the committed JPGs real, of the documented shapes, distinct and small."""
    sizes = {"posters": (340, 500), "fanart": (960, 540)}
    contents = set()
    for (folder, key), name in IMAGE_FILES.items():
        data = image_bytes(folder, key)
        assert data is not None
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert image.size == sizes[folder]
        contents.add(data)
        assert name.endswith(".jpg")
    assert len(contents) == len(IMAGE_FILES)
    assert sum(path.stat().st_size for path in IMAGES_DIR.glob("*.jpg")) < 1_000_000


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("inception", INCEPTION.as_json()),
        ("nothing-null", None),
        ("nothing-list", []),
        ("nothing-object", {}),
    ],
)
async def test_presets(
    standin: StandIn, session: ClientSession, preset: str, expected: Any
) -> None:
    """Switch a user to a named preset through the control API."""
    await _control(session, standin, "POST", "/users/51", {"preset": preset})
    response, _ = await _get(session, standin, f"{API}/51", KEY)
    assert await response.json() == expected == PRESETS[preset]


async def test_custom_item_and_new_user(
    standin: StandIn, session: ClientSession
) -> None:
    """Serve any posted item, also for a user that did not exist."""
    item = {**INCEPTION.as_json(), "title": "Tom & Jerry's \u00e9t\u00e9"}
    await _control(session, standin, "PUT", "/users/77", {"item": item})
    response, _ = await _get(session, standin, f"{API}/77", KEY)
    assert await response.json() == item
    async with session.post(
        f"{standin.url}/_standin/users/78", json={"preset": "nope"}
    ) as bad:
        assert bad.status == 400


async def test_forced_answers(standin: StandIn, session: ClientSession) -> None:
    """Force a status for N requests, with Retry-After, then answer normally."""
    await _control(
        session,
        standin,
        "POST",
        "/force",
        {"status": 429, "retry_after": 30, "count": 2},
    )
    statuses = []
    for _ in range(3):
        response, _ = await _get(session, standin, f"{API}/51", KEY)
        statuses.append((response.status, response.headers.get("Retry-After")))
    assert statuses == [(429, "30"), (429, "30"), (200, None)]

    await _control(
        session, standin, "POST", "/force", {"status": 503, "text": "", "count": None}
    )
    for _ in range(3):
        response, body = await _get(session, standin, f"{API}/51", KEY)
        assert (response.status, body) == (503, b"")
    image, _ = await _get(session, standin, "/posters/17/17465posterkey_0.jpg")
    assert image.status == 200
    await _control(session, standin, "DELETE", "/force")
    response, _ = await _get(session, standin, f"{API}/51", KEY)
    assert response.status == 200

    standin.state.force(500, body={"oops": True}, target="images", count=1)
    image, body = await _get(session, standin, "/fanart/17/17465fanartkey_0.jpg")
    assert (image.status, body) == (500, b'{"oops": true}')


async def test_etag(standin: StandIn, session: ClientSession) -> None:
    """Answer 304 to a matching If-None-Match, 200 once the item changed."""
    first, _ = await _get(session, standin, f"{API}/51", KEY)
    assert "ETag" not in first.headers
    await _control(session, standin, "POST", "/conditional", {"etag": True})
    response, _ = await _get(session, standin, f"{API}/51", KEY)
    etag = response.headers["ETag"]
    again, body = await _get(
        session, standin, f"{API}/51", {**KEY, "If-None-Match": etag}
    )
    assert (again.status, body) == (304, b"")
    standin.state.set_answer(51, "inception")
    changed, _ = await _get(
        session, standin, f"{API}/51", {**KEY, "If-None-Match": etag}
    )
    assert changed.status == 200
    assert changed.headers["ETag"] != etag
    image, _ = await _get(session, standin, "/posters/17/17465posterkey_0.jpg")
    cached, _ = await _get(
        session,
        standin,
        "/posters/17/17465posterkey_0.jpg",
        {"If-None-Match": image.headers["ETag"]},
    )
    assert cached.status == 304


async def test_last_modified(standin: StandIn, session: ClientSession) -> None:
    """Answer 304 to If-Modified-Since until the item changes."""
    standin.state.set_conditional(last_modified=True)
    response, _ = await _get(session, standin, f"{API}/51", KEY)
    since = response.headers["Last-Modified"]
    fresh, _ = await _get(
        session, standin, f"{API}/51", {**KEY, "If-Modified-Since": since}
    )
    assert fresh.status == 304
    old = formatdate(0, usegmt=True)
    stale, _ = await _get(
        session, standin, f"{API}/51", {**KEY, "If-Modified-Since": old}
    )
    assert stale.status == 200
    standin.state.set_answer(51, "inception")
    changed, _ = await _get(
        session, standin, f"{API}/51", {**KEY, "If-Modified-Since": since}
    )
    assert changed.status == 200
    assert changed.headers["Last-Modified"] != since


async def test_counters_are_exact(standin: StandIn, session: ClientSession) -> None:
    """Count requests and body bytes per path; leave control calls out."""
    sent: dict[str, int] = {}
    paths = [
        f"{API}/51",
        f"{API}/51",
        f"{API}/52",
        "/posters/17/17465posterkey_0.jpg",
        f"{API}/51?image=poster&client_id=abc",
    ]
    for path in paths:
        _, body = await _get(session, standin, path, KEY)
        key = path.split("?")[0]
        sent[key] = sent.get(key, 0) + len(body)
    await _control(session, standin, "GET", "")
    async with session.head(f"{standin.url}/fanart/17/17465fanartkey_0.jpg") as head:
        assert head.status == 200
    sent["/fanart/17/17465fanartkey_0.jpg"] = 0

    stats = await _control(session, standin, "GET", "/stats")
    assert stats["requests"] == {
        f"{API}/51": 3,
        f"{API}/52": 1,
        "/posters/17/17465posterkey_0.jpg": 1,
        "/fanart/17/17465fanartkey_0.jpg": 1,
    }
    assert stats["bytes"] == sent
    assert stats["total_requests"] == 6
    assert stats["total_bytes"] == sum(sent.values())
    assert len(stats["timestamps"]) == 6
    assert stats["timestamps"] == sorted(stats["timestamps"])
    first = stats["log"][0]
    assert (first["client_id_via"], first["status"]) == ("header", 200)
    assert stats["log"][4]["client_id_via"] == "header"

    await _control(session, standin, "DELETE", "/stats")
    assert (await _control(session, standin, "GET", "/stats"))["total_requests"] == 0


async def test_reset(standin: StandIn, session: ClientSession) -> None:
    """Return to the start-up settings and clear the counters."""
    standin.state.set_answer(51, "inception")
    standin.state.force(500)
    standin.state.set_conditional(etag=True)
    await _get(session, standin, f"{API}/51", KEY)
    described = await _control(session, standin, "POST", "/reset")
    assert described["users"]["51"]["answer"] == GAME_OF_THRONES.as_json()
    assert described["forced"] is None
    assert described["etag"] is False
    assert standin.state.stats()["total_requests"] == 0


def test_subprocess_and_control(socket_enabled: None) -> None:
    """Run the stand-in as a subprocess and steer it through its control API."""
    with StandInProcess(args=["--user", "51=inception", "--etag"]) as standin:
        control = standin.control
        assert control.describe()["users"]["51"]["answer"] == INCEPTION.as_json()
        control.set_preset(51, "got")
        control.force(503, count=1)
        control.set_conditional(last_modified=True)
        control.set_client_ids(rejected=["bad"])
        described = control.describe()
        assert described["forced"]["status"] == 503
        assert described["rejected_client_ids"] == ["bad"]
        assert described["etag"] is True
        assert described["last_modified"] is True
        assert control.stats()["total_requests"] == 0
        control.reset()
        assert control.describe()["forced"] is None
        process = standin.process
    assert process is not None
    assert process.returncode is not None
