"""Ways to run the stand-in: in-process, as a subprocess, and its HTTP control."""

from __future__ import annotations

from collections.abc import Sequence
import json
import os
from pathlib import Path
import selectors
import subprocess
import sys
import time
from types import TracebackType
from typing import IO, Any, Self
import urllib.request

from aiohttp import web

from .app import CONTROL_PREFIX, create_app
from .state import StandInConfig, StandInState, Target

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
READY_PREFIX = "Simkl stand-in listening on "


class StandIn:
    """The stand-in served from the running event loop, for pytest fixtures.

    ``async with StandIn() as standin:`` serves on an ephemeral loopback port;
    ``standin.url`` is the base URL and ``standin.state`` changes its answers
    and reads its counters directly.
    """

    def __init__(
        self,
        config: StandInConfig | None = None,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        access_log: bool = False,
    ) -> None:
        """Prepare a stand-in that will listen on ``host``:``port``."""
        self.state = StandInState(config)
        self.host = host
        self.port = port
        self._access_log = access_log
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Return the base URL, to be used as SIMKL_BASE_URL."""
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """Start serving."""
        kwargs: dict[str, Any] = {} if self._access_log else {"access_log": None}
        self._runner = web.AppRunner(create_app(self.state), **kwargs)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop serving and close open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        """Start serving for the duration of an ``async with`` block."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop serving at the end of the block."""
        await self.stop()


class StandInControl:
    """Blocking client of the control API of a stand-in in another process."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        """Talk to the stand-in at base URL ``url``."""
        self.url = url.rstrip("/")
        self._timeout = timeout

    def _call(self, method: str, path: str, data: Any = None) -> Any:
        """Send one control request and return its decoded JSON answer."""
        body = None if data is None else json.dumps(data).encode()
        request = urllib.request.Request(  # noqa: S310
            f"{self.url}{CONTROL_PREFIX}{path}",
            data=body,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self._timeout) as response:  # noqa: S310
            return json.loads(response.read() or b"null")

    def describe(self) -> dict[str, Any]:
        """Return the current settings."""
        return dict(self._call("GET", ""))

    def reset(self) -> None:
        """Return to the start-up settings and clear the counters."""
        self._call("POST", "/reset")

    def stats(self) -> dict[str, Any]:
        """Return requests and bytes per path, timestamps and the request log."""
        return dict(self._call("GET", "/stats"))

    def clear_stats(self) -> None:
        """Clear the counters."""
        self._call("DELETE", "/stats")

    def set_preset(self, user_id: str | int, preset: str) -> None:
        """Make a user's current item a named preset."""
        self._call("POST", f"/users/{user_id}", {"preset": preset})

    def set_item(self, user_id: str | int, item: dict[str, Any]) -> None:
        """Make a user's current item the given JSON item."""
        self._call("POST", f"/users/{user_id}", {"item": item})

    def set_body(self, user_id: str | int, body: Any) -> None:
        """Make a user answer with any JSON body, such as null, [] or {}."""
        self._call("POST", f"/users/{user_id}", {"body": body})

    def set_private(self, user_id: str | int, private: bool) -> None:
        """Hide a user's profile (404) or show it again."""
        self._call("POST", f"/users/{user_id}", {"private": private})

    def remove_user(self, user_id: str | int) -> None:
        """Forget a user, so that the endpoint answers 404 for it."""
        self._call("DELETE", f"/users/{user_id}")

    def force(
        self,
        status: int,
        *,
        body: Any = None,
        text: str | None = None,
        retry_after: str | int | None = None,
        count: int | None = None,
        target: Target = "api",
    ) -> None:
        """Answer the next ``count`` matching requests (all if None) with ``status``."""
        self._call(
            "POST",
            "/force",
            {
                "status": status,
                "body": body,
                "text": text,
                "retry_after": retry_after,
                "count": count,
                "target": target,
            },
        )

    def clear_force(self) -> None:
        """Stop forcing answers."""
        self._call("DELETE", "/force")

    def set_conditional(
        self, *, etag: bool | None = None, last_modified: bool | None = None
    ) -> None:
        """Turn ETag and Last-Modified validators (and 304 answers) on or off."""
        data: dict[str, bool] = {}
        if etag is not None:
            data["etag"] = etag
        if last_modified is not None:
            data["last_modified"] = last_modified
        self._call("POST", "/conditional", data)

    def set_client_ids(
        self,
        *,
        accepted: Sequence[str] | None = None,
        rejected: Sequence[str] | None = None,
        accept_any: bool = False,
    ) -> None:
        """Change which client_ids are accepted and which are rejected."""
        data: dict[str, Any] = {}
        if accept_any:
            data["accepted"] = None
        elif accepted is not None:
            data["accepted"] = list(accepted)
        if rejected is not None:
            data["rejected"] = list(rejected)
        self._call("POST", "/client_ids", data)


class StandInProcess:
    """The stand-in in a subprocess (``python -m tests.standin``).

    ``with StandInProcess() as standin:`` waits until it listens;
    ``standin.url`` is its base URL and ``standin.control`` its control API.
    """

    def __init__(
        self,
        *,
        python: str = sys.executable,
        host: str = LOOPBACK,
        port: int = 0,
        args: Sequence[str] = (),
        log_path: Path | None = None,
        start_timeout: float = 30.0,
    ) -> None:
        """Prepare the command; ``args`` are extra command-line options."""
        self.command = [
            python, "-m", "tests.standin", "--host", host, "--port", str(port),
            *args,
        ]  # fmt: skip
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def control(self) -> StandInControl:
        """Return a client of the running stand-in's control API."""
        return StandInControl(self.url)

    def start(self) -> str:
        """Start the subprocess and return its base URL once it listens."""
        if self.log_path is not None:
            self._log = self.log_path.open("ab")
        # "python -m" puts the working directory, the repository, on sys.path.
        self.process = subprocess.Popen(  # noqa: S603
            self.command,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=self._log if self._log is not None else subprocess.DEVNULL,
        )
        try:
            self.url = self._read_url()
        except BaseException:
            self.stop()
            raise
        return self.url

    def _read_url(self) -> str:
        """Return the URL from the subprocess's ready line."""
        assert self.process is not None
        assert self.process.stdout is not None
        deadline = time.monotonic() + self.start_timeout
        line = b""
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not selector.select(remaining):
                    raise TimeoutError("the stand-in did not start listening in time")
                chunk = os.read(self.process.stdout.fileno(), 1024)
                if not chunk:
                    raise RuntimeError(
                        f"the stand-in exited with {self.process.wait()}"
                    )
                line += chunk
        text = line.decode().strip()
        if not text.startswith(READY_PREFIX):
            raise RuntimeError(f"unexpected output from the stand-in: {text!r}")
        return text.removeprefix(READY_PREFIX)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the subprocess: terminate, then kill after ``timeout`` seconds."""
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        """Start the subprocess for the duration of a ``with`` block."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the subprocess at the end of the block."""
        self.stop()
