"""Asynchronous client for Simkl's recently watched endpoint."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
import math

from aiohttp import ClientError, ClientResponse, ClientSession, hdrs
from multidict import CIMultiDict
from yarl import URL

from .exceptions import (
    SimklAuthenticationError,
    SimklConnectionError,
    SimklError,
    SimklInvalidResponseError,
    SimklNotFoundError,
    SimklRateLimitError,
)
from .models import Artwork, RecentlyWatched
from .pacer import RequestPacer

API_URL = "https://api.simkl.com"
IMAGE_URL = "https://simkl.net"
IMAGE_HOSTS = ("simkl.net", "simkl.in")
FULL_SIZE = "_0"

# A recently watched body is a few hundred bytes and a full-size catalogue JPG a
# few hundred kilobytes; anything far larger is refused unread.
MAX_BODY_BYTES = 256 * 1024
MAX_IMAGE_BYTES = 16 * 1024 * 1024
# Retry-After values beyond this are treated as this long.
MAX_RETRY_AFTER = 6 * 3600.0


class Simkl:
    """Client for Simkl's public recently watched endpoint."""

    def __init__(
        self,
        client_id: str,
        *,
        session: ClientSession,
        app_name: str,
        app_version: str,
        api_url: str = API_URL,
        image_url: str = IMAGE_URL,
        request_timeout: float = 10.0,
        pacer: RequestPacer | None = None,
    ) -> None:
        """Create a client that sends ``client_id`` with every request.

        The client_id travels in the ``simkl-api-key`` header only, so it never
        appears in a URL that an error message or a log line could print.
        """
        self._client_id = client_id
        self._session = session
        self._app_name = app_name
        self._app_version = app_version
        self._api_url = URL(api_url)
        self._image_url = URL(image_url)
        self._request_timeout = request_timeout
        self._pacer = pacer
        # Validators and result of the last answer per user, for conditional
        # requests: a 304 answer returns the same model object again.
        self._validators: dict[int, tuple[dict[str, str], RecentlyWatched | None]] = {}

    def __repr__(self) -> str:
        """Return a representation that leaves the client_id out."""
        return f"Simkl(api_url={str(self._api_url)!r})"

    async def recently_watched(self, user_id: int) -> RecentlyWatched | None:
        """Return the item ``user_id`` watched most recently, None if nothing yet."""
        url = self._api_url.joinpath(
            "users", "recently-watched-background", str(user_id)
        )
        cached = self._validators.get(user_id)
        headers = dict(cached[0]) if cached else {}
        status, response_headers, body = await self._request(url, headers)
        if status == 304 and cached is not None:
            return cached[1]
        if status != 200:
            raise SimklInvalidResponseError(f"Unexpected HTTP status {status}")
        try:
            decoded = json.loads(body)
        except (ValueError, RecursionError) as err:
            raise SimklInvalidResponseError("Response is not valid JSON") from err
        result = RecentlyWatched.from_json(decoded, IMAGE_HOSTS)
        validators: dict[str, str] = {}
        if etag := response_headers.get(hdrs.ETAG):
            validators[hdrs.IF_NONE_MATCH] = etag
        if last_modified := response_headers.get(hdrs.LAST_MODIFIED):
            validators[hdrs.IF_MODIFIED_SINCE] = last_modified
        if validators:
            self._validators[user_id] = (validators, result)
        else:
            self._validators.pop(user_id, None)
        return result

    def image_url(self, artwork: Artwork, size: str = FULL_SIZE) -> str:
        """Return the JPG URL of a catalogue image at a size suffix such as ``_0``."""
        return str(self._image_url / artwork.kind.value / f"{artwork.key}{size}.jpg")

    async def image(self, url: str) -> tuple[str, bytes]:
        """Download an image from Simkl's image host; return content type and bytes.

        Only URLs on the configured image host are fetched, redirects are not
        followed and TLS certificates are verified.
        """
        try:
            target = URL(url)
        except ValueError as err:
            raise SimklInvalidResponseError("Image URL is not a valid URL") from err
        if (
            target.scheme != self._image_url.scheme
            or target.host != self._image_url.host
            or target.port != self._image_url.port
            or target.user is not None
            or target.password is not None
            or target.query_string
        ):
            raise SimklInvalidResponseError("Image URL is not on Simkl's image host")
        status, headers, body = await self._request(
            target, {hdrs.ACCEPT: "image/*"}, limit=MAX_IMAGE_BYTES, api=False
        )
        content_type = headers.get(hdrs.CONTENT_TYPE, "").split(";")[0].strip()
        if status != 200 or not content_type.startswith("image/") or not body:
            raise SimklInvalidResponseError("Image host did not answer with an image")
        return content_type, body

    async def _request(
        self,
        url: URL,
        headers: dict[str, str],
        *,
        limit: int = MAX_BODY_BYTES,
        api: bool = True,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one GET request; return status, headers and body, or raise.

        API requests carry the client_id and the app's name and version; image
        requests go to the image host with the User-Agent alone.
        """
        headers = {**headers, hdrs.USER_AGENT: f"{self._app_name}/{self._app_version}"}
        if api:
            url = url.update_query(
                {"app-name": self._app_name, "app-version": self._app_version}
            )
            headers["simkl-api-key"] = self._client_id
            if self._pacer is not None:
                await self._pacer.wait()
        try:
            async with asyncio.timeout(self._request_timeout):
                async with self._session.get(
                    url, headers=headers, allow_redirects=False
                ) as response:
                    self._raise_for_status(response)
                    body = await _read_limited(response, limit)
                    return response.status, CIMultiDict(response.headers), body
        except TimeoutError as err:
            raise SimklConnectionError("Timeout while talking to Simkl") from err
        except (ClientError, OSError) as err:
            raise SimklConnectionError(
                f"Error while talking to Simkl: {type(err).__name__}"
            ) from err

    @staticmethod
    def _raise_for_status(response: ClientResponse) -> None:
        """Raise the exception that matches an error status."""
        status = response.status
        if status in (401, 403, 412):
            raise SimklAuthenticationError(f"Simkl rejected the client_id ({status})")
        if status == 404:
            raise SimklNotFoundError("User not found or profile is private")
        if status == 429:
            raise SimklRateLimitError(
                "Simkl rate limit reached",
                _retry_after(response.headers.get(hdrs.RETRY_AFTER)),
            )
        if status >= 500:
            raise SimklConnectionError(f"Simkl answered with server error {status}")


async def _read_limited(response: ClientResponse, limit: int) -> bytes:
    """Read a body, refusing one larger than ``limit`` bytes."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise SimklInvalidResponseError("Response body is too large")
    return bytes(body)


def _retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks for, or None if unreadable."""
    if not value:
        return None
    seconds: float
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


__all__ = ["API_URL", "IMAGE_HOSTS", "IMAGE_URL", "Simkl", "SimklError"]
