"""Simulated dashboard viewers, fetching pictures the way the frontend does.

A still camera's picture is fetched through ``/api/camera_proxy/<entity>``
when the card appears and then every 10 seconds; an image entity's picture
through ``/api/image_proxy/<entity>`` when the card appears and whenever the
entity's state changes. Each viewer has its own HTTP connection pool and its
own websocket, as browsers do, and viewers start their camera timers spread
over the 10 seconds, as dashboards opened at different moments would.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterable
import contextlib
from dataclasses import dataclass, field
import time
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, WSMsgType

CAMERA_REFRESH = 10.0


@dataclass
class ViewerStats:
    """Fetches the viewers made through Home Assistant, per entity."""

    fetches: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)


async def subscribe(
    session: ClientSession, url: str, token: str, event_type: str = "state_changed"
) -> Any:
    """Open an authenticated websocket subscribed to ``event_type``."""
    socket = await session.ws_connect(f"{url.replace('http', 'ws', 1)}/api/websocket")
    await socket.receive_json()
    await socket.send_json({"type": "auth", "access_token": token})
    if (answer := await socket.receive_json())["type"] != "auth_ok":
        await socket.close()
        raise RuntimeError(f"websocket auth failed: {answer}")
    await socket.send_json(
        {"id": 1, "type": "subscribe_events", "event_type": event_type}
    )
    if not (answer := await socket.receive_json()).get("success"):
        await socket.close()
        raise RuntimeError(f"subscribe_events failed: {answer}")
    return socket


async def events(socket: Any) -> Any:
    """Yield the data of each event arriving on a subscribed websocket."""
    while True:
        message = await socket.receive()
        if message.type is not WSMsgType.TEXT:
            return
        data = message.json()
        if data.get("type") == "event":
            yield data["event"]["data"]


class StateLog:
    """Record every state change of some entities, with its arrival time."""

    def __init__(self, url: str, token: str, entity_ids: Iterable[str]) -> None:
        """Prepare a log of the given entities' state changes."""
        self.url = url
        self.token = token
        self.entity_ids = set(entity_ids)
        self.changes: list[tuple[float, str, dict[str, Any] | None]] = []
        self._task: asyncio.Task[None] | None = None
        self._session: ClientSession | None = None

    async def start(self) -> None:
        """Subscribe, then record in the background until stopped."""
        self._session = ClientSession()
        socket = await subscribe(self._session, self.url, self.token)
        self._task = asyncio.create_task(self._record(socket))

    async def _record(self, socket: Any) -> None:
        """Append each change of a watched entity to the log."""
        try:
            async for data in events(socket):
                if data["entity_id"] in self.entity_ids:
                    self.changes.append(
                        (time.time(), data["entity_id"], data["new_state"])
                    )
        finally:
            await socket.close()

    def count(self, entity_id: str, start: float, end: float) -> int:
        """Return how many times ``entity_id`` changed between two times."""
        return sum(
            1
            for when, changed, _ in self.changes
            if changed == entity_id and start <= when < end
        )

    async def stop(self) -> None:
        """Stop recording."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None


class Viewer:
    """One dashboard showing the pictures of every setup."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        cameras: Iterable[str],
        images: Iterable[str],
        offset: float,
        stats: ViewerStats,
    ) -> None:
        """Prepare a viewer whose camera timer starts ``offset`` seconds late."""
        self.url = url
        self.token = token
        self.cameras = tuple(cameras)
        self.images = tuple(images)
        self.offset = offset
        self.stats = stats

    async def run(self) -> None:
        """Show the dashboard until cancelled."""
        async with ClientSession(timeout=ClientTimeout(total=30)) as session:
            await asyncio.gather(self._cameras(session), self._images(session))

    async def _fetch(self, session: ClientSession, path: str, entity_id: str) -> None:
        """Fetch one picture through Home Assistant and count the outcome."""
        self.stats.fetches[entity_id] += 1
        try:
            async with session.get(
                f"{self.url}{path}",
                headers={"Authorization": f"Bearer {self.token}"},
            ) as response:
                await response.read()
                if response.status != 200:
                    self.stats.failures[entity_id] += 1
        except (ClientError, TimeoutError):
            self.stats.failures[entity_id] += 1

    async def _cameras(self, session: ClientSession) -> None:
        """Fetch every camera picture now and then every 10 seconds."""
        await asyncio.sleep(self.offset)
        loop = asyncio.get_running_loop()
        started = loop.time()
        ticks = 0
        while True:
            await asyncio.gather(
                *(
                    self._fetch(session, f"/api/camera_proxy/{camera}", camera)
                    for camera in self.cameras
                )
            )
            ticks += 1
            await asyncio.sleep(
                max(0.0, started + ticks * CAMERA_REFRESH - loop.time())
            )

    async def _images(self, session: ClientSession) -> None:
        """Fetch each image entity's picture now and on every state change."""
        if not self.images:
            return
        # Subscribed before the first fetch, so that no change is missed.
        socket = await subscribe(session, self.url, self.token)
        pending: set[asyncio.Task[None]] = set()
        try:
            await asyncio.gather(
                *(
                    self._fetch(session, f"/api/image_proxy/{image}", image)
                    for image in self.images
                )
            )
            async for data in events(socket):
                entity_id = data["entity_id"]
                if entity_id in self.images and data["new_state"] is not None:
                    task = asyncio.create_task(
                        self._fetch(session, f"/api/image_proxy/{entity_id}", entity_id)
                    )
                    pending.add(task)
                    task.add_done_callback(pending.discard)
        finally:
            for task in list(pending):
                task.cancel()
            await socket.close()


class Audience:
    """A number of viewers, started and stopped together."""

    def __init__(
        self,
        url: str,
        token: str,
        count: int,
        *,
        cameras: Iterable[str],
        images: Iterable[str],
    ) -> None:
        """Prepare ``count`` viewers of the given cameras and image entities."""
        self.stats = ViewerStats()
        self.viewers = [
            Viewer(
                url,
                token,
                cameras=cameras,
                images=images,
                offset=CAMERA_REFRESH * number / count,
                stats=self.stats,
            )
            for number in range(count)
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start every viewer."""
        self._tasks = [asyncio.create_task(viewer.run()) for viewer in self.viewers]

    async def stop(self) -> None:
        """Stop every viewer and wait until they have closed their connections."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
