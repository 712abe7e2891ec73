"""Cost of one Simkl poll inside Home Assistant: request, parse and state writes.

Run as ``python -m benchmarks.poll_cost --polls 200 --profile FILE``; prints one
JSON object. A real ``hass`` from pytest-homeassistant-custom-component's
helpers sets up the integration against the stand-in in another process, so
the stand-in's own work never counts. Each poll is timed in wall time and in
CPU time of the event loop's thread (what the poll costs Home Assistant).
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
import cProfile
import io
import json
import os
from pathlib import Path
import pstats
import statistics
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import AsyncResolver
from homeassistant import loader
from homeassistant.const import CONF_CLIENT_ID, EVENT_STATE_CHANGED
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.simkl.api import RecentlyWatched
from custom_components.simkl.api.client import IMAGE_HOSTS
from custom_components.simkl.const import CONF_USER_ID, DOMAIN, ENV_BASE_URL
from custom_components.simkl.coordinator import SimklCoordinator
from tests.standin import PRESETS, StandInControl, StandInProcess

USER_ID = 51
CLIENT_ID = "benchmark-client-id"
ITEMS = ("got", "inception")
# Requests of one client_id start at least 0.25 s apart (the integration's
# pacer); polls are spaced a little more so that no poll waits on it.
POLL_GAP = 0.27


def percentile(values: Sequence[float], fraction: float) -> float:
    """Return the nearest-rank percentile of ``values``."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def summary(values: Sequence[float]) -> dict[str, float]:
    """Return the median, p95 and count of timings given in seconds, in ms."""
    return {
        "median_ms": statistics.median(values) * 1000,
        "p95_ms": percentile(values, 0.95) * 1000,
        "count": len(values),
    }


class StateWrites:
    """Count state_changed events of the integration's entities."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Listen to state changes on ``hass``."""
        self.counts: Counter[str] = Counter()
        hass.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    @callback
    def _changed(self, event: Event[EventStateChangedData]) -> None:
        """Count one state change of a Simkl entity."""
        if f"simkl_{USER_ID}_" in event.data["entity_id"]:
            self.counts[event.data["entity_id"]] += 1

    def total(self) -> int:
        """Return the number of state changes counted so far."""
        return sum(self.counts.values())


async def timed_polls(
    coordinator: SimklCoordinator,
    writes: StateWrites,
    polls: int,
    before: Callable[[int], Any] | None = None,
    profiler: cProfile.Profile | None = None,
) -> dict[str, Any]:
    """Run ``polls`` refreshes; return wall and CPU timings and state writes."""
    wall: list[float] = []
    cpu: list[float] = []
    written = writes.total()
    for number in range(polls):
        if before is not None:
            await asyncio.to_thread(before, number)
        await asyncio.sleep(POLL_GAP)
        if profiler is not None:
            profiler.enable()
        started_wall, started_cpu = time.perf_counter(), time.thread_time()
        await coordinator.async_refresh()
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
        if profiler is not None:
            profiler.disable()
        if not coordinator.last_update_success:
            raise RuntimeError(f"poll failed: {coordinator.last_exception}")
    return {
        "wall": summary(wall),
        "cpu": summary(cpu),
        "state_writes_per_poll": (writes.total() - written) / polls,
    }


def parse_cost(iterations: int) -> dict[str, float]:
    """Time decoding and validating one answer body, as the client does."""
    body = json.dumps(PRESETS["got"]).encode()
    timings = []
    for _ in range(iterations):
        started = time.perf_counter()
        RecentlyWatched.from_json(json.loads(body), IMAGE_HOSTS)
        timings.append(time.perf_counter() - started)
    return summary(timings)


def write_cost(coordinator: SimklCoordinator, iterations: int) -> dict[str, float]:
    """Time handing a changed item to the entities, which write their states."""
    items = [RecentlyWatched.from_json(PRESETS[name], IMAGE_HOSTS) for name in ITEMS]
    timings = []
    for number in range(iterations):
        started = time.perf_counter()
        coordinator.async_set_updated_data(items[number % 2])
        timings.append(time.perf_counter() - started)
    return summary(timings)


def save_profile(profiler: cProfile.Profile, path: Path, polls: int) -> None:
    """Write the profile of the changed polls, by cumulative and own time."""
    out = io.StringIO()
    out.write(
        f"cProfile of {polls} polls that each bring a different item (request to "
        "the stand-in on loopback, parse, state writes of the sensor, both images "
        "and the event), inside a real Home Assistant event loop.\n\n"
    )
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    out.write("== by cumulative time\n")
    stats.sort_stats("cumulative").print_stats(45)
    out.write("== by own time\n")
    stats.sort_stats("tottime").print_stats(30)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue(), encoding="utf-8")


async def measure(polls: int, profile_path: Path | None) -> dict[str, Any]:
    """Set up the integration on a real hass and time its polls."""
    with (
        StandInProcess(args=["--user", f"{USER_ID}=got"]) as standin,
        tempfile.TemporaryDirectory(prefix="simkl-poll-cost-") as config_dir,
        # Outside pytest nothing sets up zeroconf, whose mDNS resolver Home
        # Assistant's HTTP session wants; the stand-in is an IP address anyway.
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            return_value=AsyncResolver(),
        ),
    ):
        control: StandInControl = standin.control
        os.environ[ENV_BASE_URL] = standin.url
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            entry = MockConfigEntry(
                domain=DOMAIN,
                title=f"Simkl {USER_ID}",
                unique_id=str(USER_ID),
                data={CONF_CLIENT_ID: CLIENT_ID, CONF_USER_ID: USER_ID},
            )
            entry.add_to_hass(hass)
            if not await hass.config_entries.async_setup(entry.entry_id):
                raise RuntimeError("the Simkl entry did not set up")
            await hass.async_block_till_done()
            coordinator: SimklCoordinator = entry.runtime_data
            writes = StateWrites(hass)

            def switch(number: int) -> None:
                """Make every poll bring the other item."""
                control.set_preset(USER_ID, ITEMS[(number + 1) % 2])

            control.set_preset(USER_ID, ITEMS[0])
            await timed_polls(coordinator, writes, 2)
            result: dict[str, Any] = {
                "changed": await timed_polls(coordinator, writes, polls, switch),
                "unchanged": await timed_polls(coordinator, writes, polls),
            }
            control.set_conditional(etag=True)
            await timed_polls(coordinator, writes, 1)
            control.clear_stats()
            result["not_modified"] = await timed_polls(coordinator, writes, polls)
            statuses = Counter(record["status"] for record in control.stats()["log"])
            result["not_modified"]["statuses"] = dict(statuses)
            control.set_conditional(etag=False)
            result["parse"] = parse_cost(polls * 20)
            result["write"] = write_cost(coordinator, polls * 5)
            if profile_path is not None:
                profiler = cProfile.Profile()
                await timed_polls(coordinator, writes, polls, switch, profiler)
                save_profile(profiler, profile_path, polls)
                result["profile"] = str(profile_path)
            await hass.config_entries.async_unload(entry.entry_id)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    """Print the poll cost figures as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.poll_cost")
    parser.add_argument("--polls", type=int, default=200, help="polls per kind")
    parser.add_argument("--profile", type=Path, help="write a cProfile report here")
    args = parser.parse_args(argv)
    result = asyncio.run(measure(args.polls, args.profile))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
