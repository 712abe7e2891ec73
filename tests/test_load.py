"""Check that twenty entries on one client_id stay inside Simkl's rate limit.

Simkl allows 10 requests per second per client_id, shared by every entry that
uses it; the integration must keep to half of that. Time is frozen and moved
in small steps, and each request to the API is stamped with the event loop's
(simulated) clock.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections import Counter
from datetime import timedelta
import math
import re
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed_exact,
)
from pytest_homeassistant_custom_component.test_util.aiohttp import (
    AiohttpClientMocker,
    AiohttpClientMockResponse,
)
from yarl import URL

from custom_components.simkl.const import (
    CONF_USER_ID,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)

CLIENT_ID = "shared-client-id-5c2e"
USERS = range(1, 21)
STEP = timedelta(milliseconds=50)
MAX_REQUESTS_PER_SECOND = 5
STEADY = timedelta(hours=1)
POLLS_PER_HOUR = 60 // DEFAULT_SCAN_INTERVAL
API = re.compile(r"^https://api\.simkl\.com/users/recently-watched-background/")


class SimklApi:
    """Answer every user's poll and stamp it with the simulated time."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start with no requests seen."""
        self.hass = hass
        self.requests: list[tuple[float, int]] = []

    async def __call__(self, method: str, url: URL, data: Any) -> Any:
        """Record one request and answer with the user's own item."""
        user_id = int(url.name)
        self.requests.append((self.hass.loop.time(), user_id))
        return AiohttpClientMockResponse(
            method,
            url,
            json={
                "id": 1000 + user_id,
                "url": f"https://simkl.com/tv/{1000 + user_id}/show",
                "title": f"Show of user {user_id}",
                "poster": f"10/{1000 + user_id}poster",
                "fanart": f"10/{1000 + user_id}fanart",
            },
        )


async def _step(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Move simulated time one small step and run what became due."""
    freezer.tick(STEP)
    async_fire_time_changed_exact(hass)
    await hass.async_block_till_done()


def _busiest_bucket(times: list[float]) -> int:
    """Return the most requests any whole second of the clock saw."""
    return max(Counter(math.floor(time) for time in times).values())


def _busiest_window(times: list[float]) -> int:
    """Return the most requests any one-second window, wherever it starts, saw."""
    ordered = sorted(times)
    return max(
        bisect_left(ordered, start + 1.0) - index for index, start in enumerate(ordered)
    )


async def test_twenty_entries_share_the_rate_limit(
    aioclient_mock: AiohttpClientMocker,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Test no second sees more than 5 requests, at start-up or over an hour."""
    api = SimklApi(hass)
    aioclient_mock.get(API, side_effect=api)
    entries = [
        MockConfigEntry(
            domain=DOMAIN,
            title=f"Simkl {user_id}",
            unique_id=str(user_id),
            data={CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: user_id},
        )
        for user_id in USERS
    ]
    # With the integration loaded first, each entry's set-up is its own call,
    # and all twenty calls run at once.
    assert await async_setup_component(hass, DOMAIN, {})
    for entry in entries:
        entry.add_to_hass(hass)

    setup = asyncio.ensure_future(
        asyncio.gather(
            *(hass.config_entries.async_setup(entry.entry_id) for entry in entries)
        )
    )
    for _ in range(1200):
        if setup.done():
            break
        await _step(hass, freezer)
    assert setup.done()
    assert all(setup.result())
    assert all(entry.state is ConfigEntryState.LOADED for entry in entries)
    startup = [time for time, _ in api.requests]
    assert sorted(user_id for _, user_id in api.requests) == list(USERS)
    assert _busiest_bucket(startup) <= MAX_REQUESTS_PER_SECOND
    assert _busiest_window(startup) <= MAX_REQUESTS_PER_SECOND
    # The entries really were set up together: their first polls were queued,
    # not run one after another over minutes.
    assert max(startup) - min(startup) < 20 * 0.25 + 1

    api.requests.clear()
    for _ in range(int(STEADY / STEP)):
        await _step(hass, freezer)
    steady = [time for time, _ in api.requests]
    assert _busiest_bucket(steady) <= MAX_REQUESTS_PER_SECOND
    assert _busiest_window(steady) <= MAX_REQUESTS_PER_SECOND
    polls = Counter(user_id for _, user_id in api.requests)
    assert set(polls) == set(USERS)
    for user_id, count in polls.items():
        assert abs(count - POLLS_PER_HOUR) <= 1, (user_id, count)
    for entry in entries:
        state = hass.states.get(f"sensor.simkl_{entry.unique_id}_recently_watched")
        assert state is not None
        assert state.state == f"Show of user {entry.unique_id}"
