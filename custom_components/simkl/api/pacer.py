"""Spacing of requests that share one Simkl client_id."""

from __future__ import annotations

import asyncio


class RequestPacer:
    """Space request starts so a rate limit shared by several clients holds.

    Simkl counts requests per client_id. Several clients that use the same
    client_id share one pacer; each request waits for its own start slot, so no
    second ever sees more than ``1 / spacing`` request starts, at start-up or
    when polls happen to line up.
    """

    def __init__(self, spacing: float = 0.25) -> None:
        """Create a pacer that keeps ``spacing`` seconds between request starts."""
        self.spacing = spacing
        self._next_slot = 0.0

    async def wait(self) -> None:
        """Wait until this request may start."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self.spacing
        if slot > now:
            await asyncio.sleep(slot - now)
