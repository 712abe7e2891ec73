"""Home Assistant's start-up time with and without the Simkl entry.

Configuration directories are prepared once: an onboarded instance with the
frontend and the sensor, image and event integrations, a copy of it with a
Simkl entry and, for the alternative, a copy with the hand-rolled rest sensor
(its cameras fetch nothing until viewed). Each start is timed from spawning
``python -m homeassistant`` until ``/api/config`` reports ``RUNNING``, with
Simkl reachable, refusing connections (a closed port) and, optionally,
accepting connections but never answering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
import contextlib
from pathlib import Path
import shutil
import socket
import statistics
import time
from typing import Any

from aiohttp import ClientError, ClientSession

from tests.e2e.harness import (
    ENV_BASE_URL,
    LOOPBACK,
    HarnessError,
    HomeAssistantClient,
    HomeAssistantProcess,
    free_port,
    link_integration,
    write_configuration,
)

from .instance import (
    CLIENT_ID,
    EXTRA_LOGS,
    INTEGRATIONS,
    USER_ID,
    Api,
    rest_sensor_yaml,
    setups,
)

START_TIMEOUT = 120.0
VARIANTS = ("without", "reachable", "unreachable")
# The baseline already loads the integrations of the Simkl entities' platforms,
# as nearly every instance does, so the difference is the Simkl entry itself.
BASELINE = (*INTEGRATIONS, "sensor", "image", "event")


@contextlib.contextmanager
def silent_simkl() -> Iterator[str]:
    """Yield the URL of a port that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen(64)
        yield f"http://{LOOPBACK}:{sock.getsockname()[1]}"


class StartupBench:
    """Prepare the two configuration directories and time starts of them."""

    def __init__(
        self,
        work: Path,
        standin_url: str,
        python: str,
        register: Callable[[HomeAssistantProcess], None],
    ) -> None:
        """Work in ``work``; ``register`` learns every process started."""
        self.work = work
        self.standin_url = standin_url
        self.python = python
        self.register = register
        self.port = free_port()
        self.without = work / "startup-without"
        self.with_simkl = work / "startup-with-simkl"
        self.with_rest = work / "startup-with-rest"
        self.token = ""
        self.logs: list[Path] = []

    def _process(
        self, config_dir: Path, base_url: str, name: str
    ) -> HomeAssistantProcess:
        """Return a Home Assistant process on ``config_dir`` talking to ``base_url``."""
        process = HomeAssistantProcess(
            config_dir,
            port=self.port,
            python=self.python,
            env={ENV_BASE_URL: base_url},
            skip_pip=True,
            output=self.work / f"{name}.out",
        )
        self.register(process)
        return process

    def _configure(self, config_dir: Path, rest_url: str | None = None) -> None:
        """Write the baseline configuration, with a rest sensor if given its URL."""
        integrations = BASELINE
        if rest_url is not None:
            integrations = tuple(name for name in BASELINE if name != "sensor")
        path = write_configuration(
            config_dir,
            port=self.port,
            integrations=integrations,
            comment="Start-up benchmark instance written by benchmarks/run.",
            extra_logs=EXTRA_LOGS,
        )
        if rest_url is not None:
            sensor = rest_sensor_yaml(setups()[1], rest_url, 60)
            with path.open("a", encoding="utf-8") as file:
                file.write(f"\nsensor:\n{sensor}")

    async def prepare(self) -> None:
        """Onboard an instance, copy it, and add the Simkl entry to a copy."""
        self._configure(self.without)
        link_integration(self.without)
        process = self._process(self.without, self.standin_url, "startup-prepare")
        process.start()
        try:
            async with ClientSession() as session:
                client = HomeAssistantClient(process.url, session)
                await client.wait_until_up(process=process)
                await client.onboard()
                await client.wait_until_running()
                await Api(client).remove_onboarding_entries()
                self.token = str(client.token)
        finally:
            process.stop()
        shutil.copytree(self.without, self.with_simkl, symlinks=True)
        shutil.copytree(self.without, self.with_rest, symlinks=True)
        process = self._process(self.with_simkl, self.standin_url, "startup-prepare")
        process.start()
        try:
            async with ClientSession() as session:
                client = HomeAssistantClient(process.url, session)
                client.token = self.token
                await client.wait_until_up(process=process)
                await client.wait_until_running()
                if await client.add_simkl_entry(CLIENT_ID, USER_ID) is None:
                    raise HarnessError("the Simkl entry exists already")
        finally:
            process.stop()

    async def time_start(self, config_dir: Path, base_url: str) -> dict[str, Any]:
        """Start Home Assistant once; return seconds until it runs and more."""
        process = self._process(config_dir, base_url, "startup")
        started = time.monotonic()
        process.start()
        try:
            async with ClientSession() as session:
                client = HomeAssistantClient(process.url, session)
                client.token = self.token
                seconds = await self._until_running(client, process, started)
                api = Api(client)
                entries = await client.config_entries("simkl")
                timings = await api.setup_seconds()
                return {
                    "seconds": seconds,
                    "simkl_setup_seconds": timings.get("simkl"),
                    "rest_setup_seconds": timings.get("rest"),
                    "setup_seconds": timings,
                    "entry_state": entries[0]["state"] if entries else None,
                }
        finally:
            process.stop()
            log = self.work / f"startup-{len(self.logs)}.log"
            if process.log_path.exists():
                shutil.copyfile(process.log_path, log)
                self.logs.append(log)

    async def _until_running(
        self, client: HomeAssistantClient, process: HomeAssistantProcess, started: float
    ) -> float:
        """Return the seconds from ``started`` until /api/config says RUNNING."""
        headers = {"Authorization": f"Bearer {client.token}"}
        while time.monotonic() - started < START_TIMEOUT:
            if (code := process.exit_code()) is not None:
                raise HarnessError(f"Home Assistant exited with {code}")
            with contextlib.suppress(ClientError, OSError, TimeoutError):
                async with asyncio.timeout(2):
                    async with client.session.get(
                        f"{client.url}/api/config", headers=headers
                    ) as response:
                        if response.status == 200 and (
                            (await response.json())["state"] == "RUNNING"
                        ):
                            return time.monotonic() - started
            await asyncio.sleep(0.05)
        raise HarnessError(f"Home Assistant did not run within {START_TIMEOUT}s")

    async def _start_rest(self, url: str) -> dict[str, Any]:
        """Time one start of the instance whose rest sensor reads ``url``."""
        self._configure(self.with_rest, url)
        return await self.time_start(self.with_rest, url)

    async def measure(
        self, repeats: int, *, silent: bool, alternative: bool
    ) -> dict[str, Any]:
        """Time ``repeats`` starts of each variant, interleaved."""
        closed = f"http://{LOOPBACK}:{free_port()}"
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
        for _ in range(repeats):
            runs["without"].append(await self.time_start(self.without, closed))
            runs["reachable"].append(
                await self.time_start(self.with_simkl, self.standin_url)
            )
            runs["unreachable"].append(await self.time_start(self.with_simkl, closed))
            if alternative:
                runs.setdefault("rest_reachable", []).append(
                    await self._start_rest(self.standin_url)
                )
                runs.setdefault("rest_unreachable", []).append(
                    await self._start_rest(closed)
                )
        if silent:
            with silent_simkl() as url:
                runs["silent"] = [await self.time_start(self.with_simkl, url)]
                if alternative:
                    runs["rest_silent"] = [await self._start_rest(url)]
        return {
            name: {
                "median": statistics.median(run["seconds"] for run in results),
                "runs": results,
            }
            for name, results in runs.items()
        }
