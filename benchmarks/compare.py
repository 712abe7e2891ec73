"""Run the whole comparison and print the table: ``python -m benchmarks.compare``.

One real Home Assistant holds the three setups (see ``instance.py``), each
talking to its own counting stand-in Simkl; simulated viewers look at every
setup's pictures at once while the stand-ins switch the item. Then a phase
with ETag validators; meanwhile, in the background, the in-process poll cost
(``poll_cost.py``) and the start-up times (``startup.py``) are measured.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass
import json
from pathlib import Path
import shutil
import signal
import sys
import tempfile
import time
from typing import Any

from aiohttp import ClientError, ClientSession

from tests.e2e.harness import (
    ENV_BASE_URL,
    HarnessError,
    HomeAssistantClient,
    HomeAssistantProcess,
    free_port,
    link_integration,
    module_available,
)
from tests.standin import StandIn, StandInConfig
from tests.standin.app import API_PREFIX

from . import figures
from .instance import (
    CLIENT_ID,
    USER_ID,
    Api,
    setups,
    still_image_template,
    write_main_configuration,
)
from .startup import StartupBench
from .viewers import Audience, StateLog

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
ITEMS = ("got", "inception")
INTERVAL_MINUTES = 1


@dataclass(frozen=True, kw_only=True)
class Plan:
    """How long and how often each part runs."""

    quick: bool
    viewer_counts: tuple[int, ...] = (1, 5, 20)
    changes_per_phase: int = 2
    # Seconds between two item changes: longer than the polling interval, so
    # every poller sees every item.
    change_gap: float = 61.0
    # Seconds after a phase's last change: a poll, then a camera refresh.
    tail: float = 75.0
    unchanged_polls: int = 2
    poll_cost_polls: int = 100
    startup_repeats: int = 3
    silent_start: bool = True
    alternative_start: bool = True
    deadline: float = 20 * 60.0

    @classmethod
    def make(cls, quick: bool) -> Plan:
        """Return the full plan, or the quick one for the smoke test."""
        if not quick:
            return cls(quick=False)
        return cls(
            quick=True,
            changes_per_phase=1,
            change_gap=12.0,
            tail=12.0,
            unchanged_polls=1,
            poll_cost_polls=10,
            startup_repeats=1,
            silent_start=False,
            alternative_start=False,
            deadline=5 * 60.0,
        )


STARTED = time.monotonic()


def say(message: str) -> None:
    """Print a progress line to stderr, so that stdout holds only the table."""
    elapsed = time.monotonic() - STARTED
    print(f"benchmark [{elapsed:5.0f} s]: {message}", file=sys.stderr, flush=True)


class Bench:
    """The comparison's processes, stand-ins and measurements."""

    def __init__(self, plan: Plan, work: Path, results: Path) -> None:
        """Prepare a run that works in ``work`` and writes into ``results``."""
        self.plan = plan
        self.work = work
        self.results = results
        self.python = sys.executable
        self.processes: list[HomeAssistantProcess] = []
        self.setups = setups()
        self.standins: dict[str, StandIn] = {}
        self.item = 0
        self.phases: list[dict[str, Any]] = []
        self.etag: dict[str, Any] = {}
        self.logs: list[Path] = []

    def register(self, process: HomeAssistantProcess) -> None:
        """Remember a started process, so that it is stopped at the end."""
        self.processes.append(process)

    def stop_all(self) -> None:
        """Stop every Home Assistant process this run started."""
        for process in self.processes:
            with contextlib.suppress(OSError):
                process.stop(timeout=30)

    async def run(self) -> dict[str, Any]:
        """Run every part and return the raw measurements."""
        async with contextlib.AsyncExitStack() as stack:
            for setup in self.setups:
                config = StandInConfig(users={str(USER_ID): ITEMS[0]})
                self.standins[setup.key] = await stack.enter_async_context(
                    StandIn(config)
                )
            startup_standin = await stack.enter_async_context(StandIn())
            process = await self._start_main()
            background: asyncio.Task[tuple[Any, Any]] | None = None
            if self.plan.quick:
                # Quick figures are not representative anyway: overlap it all.
                background = asyncio.create_task(self._background(startup_standin.url))
            try:
                async with ClientSession() as session:
                    client = HomeAssistantClient(process.url, session)
                    api = Api(client)
                    await self._provision(client, api, process)
                    token = str(client.token)
                    await self._warm_up(process.url, token)
                    for count in self.plan.viewer_counts:
                        await self._viewer_phase(process.url, token, api, count)
                    if background is None:
                        # The main instance idles through the ETag phase (long
                        # polls, no viewers): time to measure the rest.
                        background = asyncio.create_task(
                            self._background(startup_standin.url)
                        )
                    await self._etag_phase(process.url, token, api)
                    say("waiting for the poll cost and start-up measurements")
                    poll_cost, startup = await background
            finally:
                if background is not None and not background.done():
                    background.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await background
            process.stop()
            self.logs.append(process.log_path)
            return {
                "quick": self.plan.quick,
                "interval_minutes": INTERVAL_MINUTES,
                "setups": {setup.key: setup.label for setup in self.setups},
                "records": {
                    key: [
                        {
                            "time": record.time,
                            "path": record.path,
                            "status": record.status,
                            "bytes": record.bytes,
                        }
                        for record in standin.state.records
                    ]
                    for key, standin in self.standins.items()
                },
                "phases": self.phases,
                "etag": self.etag,
                "poll_cost": poll_cost,
                "startup": startup,
                "blocking": figures.blocking_calls(self.logs),
                "machine": figures.machine(),
            }

    async def _start_main(self) -> HomeAssistantProcess:
        """Write the main configuration and start Home Assistant on it."""
        config_dir = self.work / "main"
        port = free_port()
        write_main_configuration(
            config_dir,
            port=port,
            rest=[
                (setup, self.standins[setup.key].url)
                for setup in self.setups
                if not setup.is_ours
            ],
            interval=INTERVAL_MINUTES * 60,
        )
        link_integration(config_dir)
        process = HomeAssistantProcess(
            config_dir,
            port=port,
            python=self.python,
            env={ENV_BASE_URL: self.standins["A"].url},
            skip_pip=True,
            output=self.work / "main.out",
        )
        self.register(process)
        say(f"starting Home Assistant at {process.url} (work files in {self.work})")
        process.start()
        return process

    async def _provision(
        self, client: HomeAssistantClient, api: Api, process: HomeAssistantProcess
    ) -> None:
        """Onboard, add our entry at a 1-minute interval and the cameras."""
        await client.wait_until_up(process=process)
        await client.onboard()
        await client.wait_until_running()
        await api.remove_onboarding_entries()
        if await client.add_simkl_entry(CLIENT_ID, USER_ID) is None:
            raise HarnessError("the Simkl entry exists already")
        entry_id = await api.entry_id("simkl")
        await api.set_simkl_interval(entry_id, INTERVAL_MINUTES)
        for setup in self.setups:
            await client.wait_for_state(setup.sensor, "Game of Thrones", seconds=90)
        for setup in self.setups:
            if setup.is_ours:
                continue
            url = self.standins[setup.key].url
            for role, entity_id in zip(("poster", "fanart"), setup.images, strict=True):
                await api.add_generic_camera(
                    still_image_template(setup, url, role),
                    entity_id,
                    limit_refetch=setup.limit_refetch,
                )
        say("three setups ready")

    def _all_images(self) -> tuple[list[str], list[str]]:
        """Return every setup's cameras and image entities."""
        cameras = [image for setup in self.setups for image in setup.images]
        images = [image for image in cameras if image.startswith("image.")]
        return [camera for camera in cameras if camera not in images], images

    async def _warm_up(self, url: str, token: str) -> None:
        """Let one viewer load every picture once, as when a dashboard first opens."""
        cameras, images = self._all_images()
        audience = Audience(url, token, 1, cameras=cameras, images=images)
        audience.start()
        await asyncio.sleep(3)
        await audience.stop()

    def _switch(self) -> float:
        """Make every stand-in answer with the other item; return when."""
        self.item = (self.item + 1) % len(ITEMS)
        for standin in self.standins.values():
            standin.state.set_answer(str(USER_ID), ITEMS[self.item])
        return time.time()

    async def _polls_after(self, since: float, count: int, seconds: float) -> None:
        """Wait until every stand-in has answered ``count`` polls after ``since``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if all(
                sum(
                    record.time >= since and record.path.startswith(API_PREFIX)
                    for record in standin.state.records
                )
                >= count
                for standin in self.standins.values()
            ):
                return
            await asyncio.sleep(0.2)
        raise HarnessError(f"not every setup polled {count} times in {seconds}s")

    async def _poll_now(self, api: Api) -> None:
        """In quick mode, ask every sensor to poll now instead of waiting."""
        if self.plan.quick:
            await api.update_entities(setup.sensor for setup in self.setups)

    async def _viewer_phase(self, url: str, token: str, api: Api, count: int) -> None:
        """Show every picture to ``count`` viewers while the item changes."""
        plan = self.plan
        cameras, images = self._all_images()
        say(f"{count} viewer(s): {plan.changes_per_phase} item changes")
        audience = Audience(url, token, count, cameras=cameras, images=images)
        started = time.time()
        audience.start()
        changes = []
        try:
            await asyncio.sleep(3)
            for number in range(plan.changes_per_phase):
                if number:
                    await asyncio.sleep(plan.change_gap)
                changes.append(self._switch())
                await self._poll_now(api)
            await self._polls_after(changes[-1], 1, INTERVAL_MINUTES * 60 + 30)
            await asyncio.sleep(plan.tail - (time.time() - changes[-1]))
        finally:
            await audience.stop()
        self.phases.append(
            {
                "viewers": count,
                "start": started,
                "end": time.time(),
                "changes": changes,
                "fetches": dict(audience.stats.fetches),
                "failures": dict(audience.stats.failures),
            }
        )

    async def _etag_phase(self, url: str, token: str, api: Api) -> None:
        """Turn validators on; count 304s and state writes of unchanged polls."""
        plan = self.plan
        say(f"ETag phase: {plan.unchanged_polls} unchanged poll(s), then a change")
        sensors = [setup.sensor for setup in self.setups]
        log = StateLog(url, token, sensors)
        await log.start()
        writes: dict[str, dict[str, float]] = {sensor: {} for sensor in sensors}
        sampler = asyncio.create_task(self._sample_writes(api, writes))
        wait = INTERVAL_MINUTES * 60 + 30
        try:
            started = time.time()
            for standin in self.standins.values():
                standin.state.set_conditional(etag=True)
            await self._poll_now(api)
            await self._polls_after(started, 1, wait)
            # Every setup has stored or ignored the validators by now.
            unchanged_start = time.time() + 3
            for number in range(plan.unchanged_polls):
                if plan.quick:
                    # Our refresh requests are debounced for 10 seconds.
                    await asyncio.sleep(10.5)
                await self._poll_now(api)
                await self._polls_after(started, number + 2, wait)
            await asyncio.sleep(3)
            changed = self._switch()
            if plan.quick:
                await asyncio.sleep(10.5)
            await self._poll_now(api)
            await self._polls_after(changed, 1, wait)
            await asyncio.sleep(3)
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            await log.stop()
        end = time.time()
        self.etag = {
            "start": started,
            "unchanged_start": unchanged_start,
            "change": changed,
            "end": end,
            "state_changes": {
                setup.key: {
                    "unchanged": log.count(setup.sensor, unchanged_start, changed),
                    "changed": log.count(setup.sensor, changed, end),
                }
                for setup in self.setups
            },
            # A state write, changed or not, moves last_reported.
            "writes": {
                setup.key: {
                    "unchanged": sum(
                        unchanged_start <= seen < changed
                        for seen in writes[setup.sensor].values()
                    ),
                    "changed": sum(
                        changed <= seen < end for seen in writes[setup.sensor].values()
                    ),
                }
                for setup in self.setups
            },
        }

    async def _sample_writes(
        self, api: Api, writes: dict[str, dict[str, float]]
    ) -> None:
        """Note when each sensor's last_reported takes a new value, every second.

        Every state write moves last_reported, changed or not. The states API
        caches a state's JSON and may show an older last_reported, so it is
        read through a template, which sees the state object itself.
        """
        sensors = list(writes)
        template = "|".join(
            f"{{{{ states.{sensor}.last_reported.timestamp() }}}}" for sensor in sensors
        )
        while True:
            values = (await api.render(template)).split("|")
            for sensor, value in zip(sensors, values, strict=True):
                writes[sensor].setdefault(value, time.time())
            await asyncio.sleep(1)

    async def _background(self, standin_url: str) -> tuple[Any, Any]:
        """Measure the poll cost, then the start-up times."""
        plan = self.plan
        profile = self.results / "poll_profile.txt"
        say(f"poll cost: {plan.poll_cost_polls} polls of each kind, with a profile")
        command = await asyncio.create_subprocess_exec(
            self.python,
            "-m",
            "benchmarks.poll_cost",
            "--polls",
            str(plan.poll_cost_polls),
            "--profile",
            str(profile),
            cwd=REPO_ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await command.communicate()
        finally:
            if command.returncode is None:
                command.kill()
                await command.wait()
        if command.returncode != 0:
            raise HarnessError(f"poll_cost failed: {err.decode()[-2000:]}")
        poll_cost = json.loads(out.decode().strip().splitlines()[-1])
        say(f"start-up: {plan.startup_repeats} start(s) of each variant")
        bench = StartupBench(self.work, standin_url, self.python, self.register)
        try:
            await bench.prepare()
            startup = await bench.measure(
                plan.startup_repeats,
                silent=plan.silent_start,
                alternative=plan.alternative_start,
            )
        finally:
            self.logs.extend(bench.logs)
        return poll_cost, startup


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(prog="benchmarks/run", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run for the smoke test: polls are triggered, not awaited",
    )
    parser.add_argument(
        "--changes-per-hour",
        type=float,
        default=figures.CHANGES_PER_HOUR,
        help="item changes in the simulated hour (default: %(default)s)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        help=(
            "folder for RESULTS.md, the raw figures and the profile (default: "
            "benchmarks/ for a full run, a temporary folder for --quick)"
        ),
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the Home Assistant folders"
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="RAW",
        help="measure nothing: print the table of a run's last-run.json again",
    )
    return parser.parse_args(argv)


async def _run_bounded(bench: Bench) -> dict[str, Any]:
    """Run the bench within its deadline; SIGINT and SIGTERM stop it."""
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        # Also when started in the background, where SIGINT starts out ignored.
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
    async with asyncio.timeout(bench.plan.deadline):
        return await bench.run()


def rerender(raw_path: Path, results: Path | None, changes_per_hour: float) -> int:
    """Print the table of an earlier run again, and its RESULTS.md if asked."""
    raw = json.loads(raw_path.read_text(encoding="utf-8"))
    report = figures.Report(raw, changes_per_hour=changes_per_hour)
    print(report.markdown())
    if results is not None:
        (results / "RESULTS.md").write_text(report.document(), encoding="utf-8")
    return 0 if report.targets_met() else 3


def measure(plan: Plan, results: Path, keep: bool) -> dict[str, Any] | int:
    """Run the bench; return its raw measurements, or an exit code.

    Home Assistant's folders are deleted afterwards, unless the run failed or
    ``keep`` is set.
    """
    work = Path(tempfile.mkdtemp(prefix="simkl-benchmark-"))
    bench = Bench(plan, work, results / "results")
    kept = keep
    try:
        return asyncio.run(_run_bounded(bench))
    except (KeyboardInterrupt, asyncio.CancelledError):
        say("interrupted")
        return 130
    except (HarnessError, ClientError, TimeoutError, RuntimeError, OSError) as err:
        say(f"failed: {err!r}")
        kept = True
        return 1
    finally:
        bench.stop_all()
        if kept:
            say(f"Home Assistant folders kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison, print the table and write the results."""
    args = parse_args(argv)
    if args.from_json is not None:
        return rerender(args.from_json, args.results, args.changes_per_hour)
    for module in ("homeassistant", "hass_frontend", "av", "jsonpath"):
        if not module_available(sys.executable, module):
            say(f"{module} is not installed; benchmarks/run installs it")
            return 2
    if args.results is not None:
        results = args.results
    elif args.quick:
        results = Path(tempfile.mkdtemp(prefix="simkl-benchmark-quick-"))
    else:
        results = BENCH_DIR
    (results / "results").mkdir(parents=True, exist_ok=True)
    raw = measure(Plan.make(args.quick), results, args.keep)
    if isinstance(raw, int):
        if args.results is None and args.quick:
            shutil.rmtree(results, ignore_errors=True)
        return raw
    report = figures.Report(raw, changes_per_hour=args.changes_per_hour)
    print(report.markdown(), flush=True)
    (results / "results" / "last-run.json").write_text(
        json.dumps(raw, indent=1), encoding="utf-8"
    )
    (results / "RESULTS.md").write_text(report.document(), encoding="utf-8")
    say(f"wrote {results / 'RESULTS.md'}")
    return 0 if report.targets_met() else 3


if __name__ == "__main__":
    sys.exit(main())
