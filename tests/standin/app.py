"""The stand-in's aiohttp application: Simkl's endpoint, images and control API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from email.utils import formatdate, parsedate_to_datetime
import hashlib
import json
import re
import time
from typing import Any

from aiohttp import hdrs, web

from .catalogue import image_bytes
from .state import TARGETS, RequestRecord, StandInState, Target

STATE: web.AppKey[StandInState] = web.AppKey("state", StandInState)
CONTROL_PREFIX = "/_standin"
API_PREFIX = "/users/recently-watched-background/"
API_KEY_HEADER = "simkl-api-key"
IMAGE_FOLDERS = {"poster": "posters", "fanart": "fanart"}
_IMAGE_NAME_RE = re.compile(r"(?P<key>.+)_(?P<suffix>[A-Za-z0-9]+)\.jpg")

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, error: str, message: str) -> web.Response:
    """Return a JSON error body shaped like Simkl's documented errors."""
    return web.json_response(
        {"error": error, "code": status, "message": message}, status=status
    )


def _forced_response(state: StandInState, target: Target) -> web.Response | None:
    """Return the forced answer for a request kind, if one is set."""
    if (forced := state.take_forced(target)) is None:
        return None
    headers = {hdrs.RETRY_AFTER: forced.retry_after} if forced.retry_after else {}
    if forced.text is not None:
        response = web.Response(
            status=forced.status,
            body=forced.text.encode(),
            content_type=forced.content_type or "text/plain",
            headers=headers,
        )
    elif forced.body is not None:
        response = web.Response(
            status=forced.status,
            body=json.dumps(forced.body).encode(),
            content_type=forced.content_type or "application/json",
            headers=headers,
        )
    elif forced.status >= 400:
        response = _error(forced.status, "forced", "Answer forced by the stand-in")
        response.headers.update(headers)
    else:
        response = web.Response(status=forced.status, headers=headers)
    response["forced"] = True
    return response


def _conditional(
    request: web.Request, state: StandInState, body: bytes, modified_at: int
) -> tuple[dict[str, str], bool]:
    """Return validator headers for a body and whether the request is fresh.

    If-None-Match is decided first and, when present, alone (RFC 9110).
    """
    headers: dict[str, str] = {}
    etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
    if state.etag:
        headers[hdrs.ETAG] = etag
    if state.last_modified:
        headers[hdrs.LAST_MODIFIED] = formatdate(modified_at, usegmt=True)
    if state.etag and (match := request.headers.get(hdrs.IF_NONE_MATCH)):
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return headers, etag in tags or "*" in tags
    if state.last_modified and (since := request.headers.get(hdrs.IF_MODIFIED_SINCE)):
        try:
            since_at = parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return headers, False
        return headers, modified_at <= since_at
    return headers, False


async def recently_watched(request: web.Request) -> web.Response:
    """Answer GET /users/recently-watched-background/{user_id} like Simkl."""
    state = request.app[STATE]
    if (forced := _forced_response(state, "api")) is not None:
        return forced
    client_id = request.headers.get(API_KEY_HEADER) or request.query.get("client_id")
    if not state.client_id_accepted(client_id):
        return _error(412, "client_id_failed", "Your client_id is wrong or missing")
    user = state.users.get(request.match_info["user_id"])
    if user is None or user.private:
        return _error(404, "user_not_found", "User not found or profile is private")
    if (image := request.query.get("image")) is not None:
        return _image_redirect(request, user.answer, image)
    body = json.dumps(user.answer).encode()
    headers, fresh = _conditional(request, state, body, user.changed_at)
    if fresh:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


def _image_redirect(request: web.Request, answer: Any, image: str) -> web.Response:
    """Answer ?image=poster|fanart with a 302 to the JPG."""
    if image not in IMAGE_FOLDERS:
        return _error(400, "bad_request", "image must be poster or fanart")
    value = answer.get(image) if isinstance(answer, dict) else None
    if not isinstance(value, str) or not value:
        return _error(404, "not_found", f"The item has no {image}")
    if value.startswith(("http://", "https://")):
        location = value
    else:
        origin = request.url.origin()
        location = str(origin.with_path(f"/{IMAGE_FOLDERS[image]}/{value}_0.jpg"))
    return web.Response(status=302, headers={hdrs.LOCATION: location})


async def catalogue_image(request: web.Request) -> web.Response:
    """Serve /posters/<key>_<size>.jpg and /fanart/<key>_<size>.jpg, any size."""
    state = request.app[STATE]
    if (forced := _forced_response(state, "images")) is not None:
        return forced
    match = _IMAGE_NAME_RE.fullmatch(request.match_info["name"])
    data = (
        None
        if match is None
        else image_bytes(request.match_info["folder"], match["key"])
    )
    if data is None:
        return _error(404, "not_found", "No such image")
    headers, fresh = _conditional(request, state, data, state.started_at)
    if fresh:
        return web.Response(status=304, headers=headers)
    return web.Response(body=data, content_type="image/jpeg", headers=headers)


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record every request outside the control API with its body bytes."""
    if request.path == CONTROL_PREFIX or request.path.startswith(f"{CONTROL_PREFIX}/"):
        return await handler(request)
    started = time.time()
    try:
        response = await handler(request)
    except web.HTTPException as err:
        response = _error(
            err.status, "not_found" if err.status == 404 else "error", err.reason
        )
    body = getattr(response, "body", None)
    sent = len(body) if isinstance(body, bytes) and request.method != "HEAD" else 0
    via = None
    if request.headers.get(API_KEY_HEADER):
        via = "header"
    elif request.query.get("client_id"):
        via = "query"
    request.app[STATE].record(
        RequestRecord(
            time=started,
            method=request.method,
            path=request.path,
            status=response.status,
            bytes=sent,
            client_id_via=via,
            app_name=request.query.get("app-name"),
            app_version=request.query.get("app-version"),
            user_agent=request.headers.get(hdrs.USER_AGENT),
            if_none_match=request.headers.get(hdrs.IF_NONE_MATCH),
            if_modified_since=request.headers.get(hdrs.IF_MODIFIED_SINCE),
            forced=bool(response.get("forced", False)),
        )
    )
    return response


async def _json_input(request: web.Request) -> dict[str, Any]:
    """Return the JSON object of a control request, {} for an empty body."""
    if not await request.read():
        return {}
    try:
        data = await request.json()
    except ValueError as err:
        raise web.HTTPBadRequest(text=f"body is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return data


async def control_describe(request: web.Request) -> web.Response:
    """Return the current settings."""
    return web.json_response(request.app[STATE].describe())


async def control_reset(request: web.Request) -> web.Response:
    """Return to the start-up settings and clear the counters."""
    state = request.app[STATE]
    state.reset()
    return web.json_response(state.describe())


async def control_stats(request: web.Request) -> web.Response:
    """Return the request counters."""
    return web.json_response(request.app[STATE].stats())


async def control_clear_stats(request: web.Request) -> web.Response:
    """Clear the request counters."""
    request.app[STATE].clear_stats()
    return web.json_response({})


async def control_set_user(request: web.Request) -> web.Response:
    """Set a user's answer: {"preset": name}, {"item": {...}} or {"body": any}.

    ``"private": true`` hides the profile (404); false shows it again.
    """
    state = request.app[STATE]
    user_id = request.match_info["user_id"]
    data = await _json_input(request)
    chosen = [key for key in ("preset", "item", "body") if key in data]
    if len(chosen) > 1:
        raise web.HTTPBadRequest(text="give one of preset, item or body")
    try:
        if "preset" in data:
            state.set_answer(user_id, str(data["preset"]))
        elif "item" in data:
            state.set_body(user_id, data["item"])
        elif "body" in data:
            state.set_body(user_id, data["body"])
        elif user_id not in state.users:
            raise web.HTTPBadRequest(text="a new user needs a preset, item or body")
    except KeyError as err:
        raise web.HTTPBadRequest(text=str(err.args[0])) from err
    if "private" in data:
        state.set_private(user_id, bool(data["private"]))
    return web.json_response(state.describe()["users"][user_id])


async def control_remove_user(request: web.Request) -> web.Response:
    """Forget a user, so that the endpoint answers 404 for it."""
    request.app[STATE].remove_user(request.match_info["user_id"])
    return web.json_response({})


async def control_force(request: web.Request) -> web.Response:
    """Force answers: {"status", "body"|"text", "retry_after", "count", "target"}."""
    state = request.app[STATE]
    data = await _json_input(request)
    if "status" not in data:
        raise web.HTTPBadRequest(text="status is required")
    target = data.get("target", "api")
    if target not in TARGETS:
        raise web.HTTPBadRequest(text=f"target must be one of {', '.join(TARGETS)}")
    try:
        state.force(
            int(data["status"]),
            body=data.get("body"),
            text=data.get("text"),
            content_type=data.get("content_type"),
            retry_after=data.get("retry_after"),
            count=data.get("count"),
            target=target,
        )
    except (TypeError, ValueError) as err:
        raise web.HTTPBadRequest(text=str(err)) from err
    return web.json_response(state.describe()["forced"])


async def control_clear_force(request: web.Request) -> web.Response:
    """Stop forcing answers."""
    request.app[STATE].clear_force()
    return web.json_response({})


async def control_conditional(request: web.Request) -> web.Response:
    """Turn validators on or off: {"etag": bool, "last_modified": bool}."""
    state = request.app[STATE]
    data = await _json_input(request)
    state.set_conditional(
        etag=None if "etag" not in data else bool(data["etag"]),
        last_modified=(
            None if "last_modified" not in data else bool(data["last_modified"])
        ),
    )
    return web.json_response(state.describe())


async def control_client_ids(request: web.Request) -> web.Response:
    """Set client_ids: {"accepted": [...] or null for any, "rejected": [...]}."""
    state = request.app[STATE]
    data = await _json_input(request)
    accepted = data.get("accepted")
    state.set_client_ids(
        accepted=accepted,
        rejected=data.get("rejected"),
        accept_any="accepted" in data and accepted is None,
    )
    return web.json_response(state.describe())


def create_app(state: StandInState | None = None) -> web.Application:
    """Return the stand-in application answering from ``state``."""
    app = web.Application(middlewares=[count_requests])
    app[STATE] = state or StandInState()
    app.router.add_get(f"{API_PREFIX}{{user_id}}", recently_watched)
    app.router.add_get("/{folder:posters|fanart}/{name:.+}", catalogue_image)
    control = [
        web.get(CONTROL_PREFIX, control_describe),
        web.post(f"{CONTROL_PREFIX}/reset", control_reset),
        web.get(f"{CONTROL_PREFIX}/stats", control_stats),
        web.delete(f"{CONTROL_PREFIX}/stats", control_clear_stats),
        web.post(f"{CONTROL_PREFIX}/users/{{user_id}}", control_set_user),
        web.put(f"{CONTROL_PREFIX}/users/{{user_id}}", control_set_user),
        web.delete(f"{CONTROL_PREFIX}/users/{{user_id}}", control_remove_user),
        web.post(f"{CONTROL_PREFIX}/force", control_force),
        web.delete(f"{CONTROL_PREFIX}/force", control_clear_force),
        web.post(f"{CONTROL_PREFIX}/conditional", control_conditional),
        web.post(f"{CONTROL_PREFIX}/client_ids", control_client_ids),
    ]
    app.router.add_routes(control)
    return app
