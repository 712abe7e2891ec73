"""Spacing of requests that share one Simkl client_id."""

from __future__ import annotations

import asyncio


class RequestPacer:
    """Space request starts so a rate limit shared by several clients holds.

    Simkl counts requests per client_id. Several clients that use the same
    client_id share one pacer; requests start one at a time, each at least
    ``spacing`` after the previous one really started, so no second ever sees
    more than ``1 / spacing`` request starts, at start-up, when polls happen to
    line up or when a busy event loop wakes several waiters late at once.
    """

    def __init__(self, spacing: float = 0.25) -> None:
        """Create a pacer that keeps ``spacing`` seconds between request starts."""
        self.spacing = spacing
        self._next_start = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait until this request may start."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            if (delay := self._next_start - loop.time()) > 0:
                await asyncio.sleep(delay)
            self._next_start = loop.time() + self.spacing
