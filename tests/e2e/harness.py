"""Run a real Home Assistant with the integration, and drive it over its APIs.

Shared by ``scripts/develop`` (the development instance) and the end-to-end
test: writing a configuration directory, starting and stopping the
``python -m homeassistant`` process, onboarding, adding the Simkl entry through
the config flow REST API and installing a dashboard over the websocket API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
import contextlib
import os
from pathlib import Path
import socket
import subprocess
import sys
import time
from typing import IO, Any

from aiohttp import ClientError, ClientSession, WSMsgType
from homeassistant.util.yaml import parse_yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "simkl"
EXAMPLE_CARDS_DIR = REPO_ROOT / "examples" / "cards"
LOOPBACK = "127.0.0.1"
DOMAIN = "simkl"
ENV_BASE_URL = "SIMKL_BASE_URL"

DEV_NAME = "Developer"
DEV_USERNAME = "dev"
DEV_PASSWORD = "dev-password-123"
DEV_CLIENT_ID = "dev-client-id"
DEV_USER_ID = 51

# Integrations Home Assistant's onboarding sets up on its own that need the
# internet (a radio directory, a text-to-speech service and its ffmpeg);
# offline they only fill the log, so the development instance removes them.
ONLINE_ONBOARDING_DOMAINS = ("google_translate", "radio_browser")
RESTART_EXIT_CODE = 100
# Config entry states after a first set-up attempt.
SETTLED_STATES = frozenset({"loaded", "setup_retry", "setup_error"})


class HarnessError(Exception):
    """Home Assistant did not do what the harness asked of it."""


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on ``host`` that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """Return whether something already listens on ``host``:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def module_available(python: str, module: str) -> bool:
    """Return whether ``python`` can import ``module``."""
    result = subprocess.run(  # noqa: S603
        [python, "-c", f"import {module}"],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def entity_ids(user_id: int = DEV_USER_ID) -> dict[str, str]:
    """Return the entity ids of one Simkl entry, by role."""
    prefix = f"simkl_{user_id}"
    return {
        "sensor": f"sensor.{prefix}_recently_watched",
        "poster": f"image.{prefix}_poster",
        "fanart": f"image.{prefix}_fanart",
        "event": f"event.{prefix}_watched",
    }


def example_card(name: str, user_id: int = DEV_USER_ID) -> dict[str, Any]:
    """Return a card of examples/cards, for ``user_id`` instead of user 51."""
    text = (EXAMPLE_CARDS_DIR / f"{name}.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("simkl_51_", f"simkl_{user_id}_"),
        ("simkl.com/51/", f"simkl.com/{user_id}/"),
        ("Simkl 51", f"Simkl {user_id}"),
    ):
        text = text.replace(old, new)
    card = parse_yaml(text)
    if not isinstance(card, dict):
        raise HarnessError(f"{name}.yaml is not a card")
    return card


def dashboard_config(user_id: int = DEV_USER_ID) -> dict[str, Any]:
    """Return a dashboard of the three cards in examples/cards, as the README says."""
    full_width = {"grid_options": {"columns": "full"}}
    return {
        "title": "Simkl",
        "views": [
            {
                "title": "Recently watched",
                "path": "simkl",
                "icon": "mdi:movie-open-play",
                "type": "sections",
                "max_columns": 2,
                "sections": [
                    {
                        "type": "grid",
                        "cards": [
                            example_card("fanart_background", user_id) | full_width
                        ],
                    },
                    {
                        "type": "grid",
                        "cards": [
                            example_card("user_card", user_id) | full_width,
                            example_card("now_watching", user_id) | full_width,
                        ],
                    },
                ],
            }
        ],
    }


def link_integration(config_dir: Path) -> None:
    """Symlink the repository's integration into ``config_dir``/custom_components."""
    target = config_dir / "custom_components" / DOMAIN
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() and target.resolve() == INTEGRATION_DIR:
        return
    if target.is_symlink():
        target.unlink()
    if target.exists():
        raise HarnessError(f"{target} exists and is not a link to {INTEGRATION_DIR}")
    target.symlink_to(INTEGRATION_DIR, target_is_directory=True)


UI_FILES = {
    "automation": ("automations.yaml", "[]\n"),
    "script": ("scripts.yaml", ""),
    "scene": ("scenes.yaml", "[]\n"),
}


def write_configuration(
    config_dir: Path,
    *,
    port: int,
    integrations: Iterable[str],
    comment: str = "",
    extra_logs: Mapping[str, str] | None = None,
) -> Path:
    """Write configuration.yaml for a loopback-only instance; return its path."""
    config_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    lines += [f"{domain}:" for domain in integrations]
    # Automations, scripts and scenes as the UI editors keep them, so the
    # README's examples and the blueprint can be tried on the instance.
    for domain, (file_name, empty) in UI_FILES.items():
        lines.append(f"{domain}: !include {file_name}")
        if not (config_dir / file_name).exists():
            (config_dir / file_name).write_text(empty, encoding="utf-8")
    lines += [
        "",
        "http:",
        f"  server_host: {LOOPBACK}",
        f"  server_port: {port}",
        "",
        "logger:",
        "  default: warning",
        "  logs:",
        "    custom_components.simkl: debug",
    ]
    lines += [f"    {name}: {level}" for name, level in (extra_logs or {}).items()]
    lines.append("")
    path = config_dir / "configuration.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


class HomeAssistantProcess:
    """A ``python -m homeassistant`` subprocess on one configuration directory."""

    def __init__(
        self,
        config_dir: Path,
        *,
        port: int,
        python: str = sys.executable,
        env: Mapping[str, str] | None = None,
        skip_pip: bool = False,
        output: Path | None = None,
    ) -> None:
        """Prepare the command; ``output`` receives stdout and stderr if given."""
        self.config_dir = config_dir
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        self.command = [python, "-m", "homeassistant", "--config", str(config_dir)]
        if skip_pip:
            self.command.append("--skip-pip")
        # pytest-cov measures subprocesses that inherit its variables; Home
        # Assistant's process must not count toward the suite's coverage.
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("COV_CORE_") and key != "COVERAGE_PROCESS_START"
        } | dict(env or {})
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None
        self._output_file: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """Return Home Assistant's own log file."""
        return self.config_dir / "home-assistant.log"

    def start(self) -> None:
        """Start Home Assistant."""
        if self.output is not None and self._output_file is None:
            self._output_file = self.output.open("ab")
        self.process = subprocess.Popen(  # noqa: S603
            self.command,
            cwd=REPO_ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._output_file,
            stderr=subprocess.STDOUT if self._output_file is not None else None,
        )

    def exit_code(self) -> int | None:
        """Return the exit code, or None while Home Assistant runs."""
        return None if self.process is None else self.process.poll()

    def wait(self) -> int:
        """Wait until Home Assistant exits and return its exit code."""
        if self.process is None:
            raise HarnessError("Home Assistant was not started")
        return self.process.wait()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop Home Assistant: terminate, then kill after ``timeout`` seconds."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._output_file is not None:
            self._output_file.close()
            self._output_file = None

    def log_tail(self, lines: int = 60) -> str:
        """Return the end of the log file and of the captured output."""
        parts = []
        for path in (self.log_path, self.output):
            if path is not None and path.exists():
                text = path.read_text(encoding="utf-8", errors="replace")
                tail = "\n".join(text.splitlines()[-lines:])
                parts.append(f"--- {path} ---\n{tail}")
        return "\n".join(parts)


class HomeAssistantClient:
    """Onboarding, config flow, states and dashboards over Home Assistant's APIs."""

    def __init__(self, url: str, session: ClientSession) -> None:
        """Talk to the Home Assistant at base URL ``url`` through ``session``."""
        self.url = url.rstrip("/")
        self.session = session
        self.token: str | None = None

    @property
    def client_id(self) -> str:
        """Return the IndieAuth client id the harness logs in as."""
        return f"{self.url}/"

    def _headers(self) -> dict[str, str]:
        """Return the authorization header for API calls."""
        if self.token is None:
            raise HarnessError("not logged in")
        return {"Authorization": f"Bearer {self.token}"}

    async def _json(
        self, method: str, path: str, data: Any = None, *, auth: bool = True
    ) -> Any:
        """Send a JSON request and return the decoded answer; raise on errors."""
        headers = self._headers() if auth else {}
        async with self.session.request(
            method, f"{self.url}{path}", json=data, headers=headers
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise HarnessError(f"{method} {path}: {response.status} {text}")
            return await response.json(content_type=None)

    async def wait_until_up(
        self, seconds: float = 180.0, process: HomeAssistantProcess | None = None
    ) -> None:
        """Wait until the frontend answers, failing early if HA exited.

        The frontend is set up after onboarding (its dependency), so once it
        answers the onboarding API is there too, unless onboarding is done.
        """
        deadline = time.monotonic() + seconds
        while True:
            if process is not None and (code := process.exit_code()) is not None:
                raise HarnessError(f"Home Assistant exited with {code}")
            with contextlib.suppress(ClientError, OSError, TimeoutError):
                async with asyncio.timeout(5):
                    async with self.session.get(
                        f"{self.url}/manifest.json"
                    ) as response:
                        if response.status == 200:
                            return
            if time.monotonic() > deadline:
                raise HarnessError(f"Home Assistant did not answer within {seconds}s")
            await asyncio.sleep(0.5)

    async def onboarding_steps(self) -> dict[str, bool]:
        """Return whether each onboarding step is done; {} once onboarding is over.

        Home Assistant serves the onboarding API only until onboarding is done.
        """
        async with self.session.get(f"{self.url}/api/onboarding") as response:
            if response.status == 404:
                return {}
            if response.status != 200:
                raise HarnessError(f"GET /api/onboarding: {response.status}")
            return {step["step"]: step["done"] for step in await response.json()}

    async def _token(self, code: str) -> None:
        """Exchange an authorization code for an access token."""
        async with self.session.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as response:
            if response.status != 200:
                raise HarnessError(f"token exchange: {await response.text()}")
            self.token = (await response.json())["access_token"]

    async def login(self, username: str, password: str) -> None:
        """Log in with the login flow of Home Assistant's own user store."""
        flow = await self._json(
            "POST",
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self.url}/?auth_callback=1",
            },
            auth=False,
        )
        result = await self._json(
            "POST",
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise HarnessError(f"login failed: {result.get('errors')}")
        await self._token(result["result"])

    async def onboard(
        self,
        username: str = DEV_USERNAME,
        password: str = DEV_PASSWORD,
        name: str = DEV_NAME,
        *,
        quiet_loggers: Iterable[str] = (),
    ) -> bool:
        """Finish every open onboarding step, or log in; return True if onboarded.

        The owner account is created in the ``user`` step; after that the
        remaining steps (core_config, analytics, integration) are posted.
        """
        steps = await self.onboarding_steps()
        if all(steps.values()):
            await self.login(username, password)
            return False
        if not steps.get("user"):
            created = await self._json(
                "POST",
                "/api/onboarding/users",
                {
                    "client_id": self.client_id,
                    "name": name,
                    "username": username,
                    "password": password,
                    "language": "en",
                },
                auth=False,
            )
            await self._token(created["auth_code"])
        else:
            await self.login(username, password)
        if not steps.get("core_config"):
            # This step sets up a few integrations of its own in the background;
            # ``quiet_loggers`` keeps their expected offline errors out of the log.
            if quiet := dict.fromkeys(quiet_loggers, "critical"):
                await self.set_log_levels(quiet)
            await self._json("POST", "/api/onboarding/core_config", {})
        if not steps.get("analytics"):
            await self._json("POST", "/api/onboarding/analytics", {})
        if not steps.get("integration"):
            await self._json(
                "POST",
                "/api/onboarding/integration",
                {
                    "client_id": self.client_id,
                    "redirect_uri": f"{self.url}/?auth_callback=1",
                },
            )
        return True

    async def set_log_levels(self, levels: Mapping[str, str]) -> None:
        """Set log levels (logger name -> level) until Home Assistant restarts."""
        await self._json("POST", "/api/services/logger/set_level", dict(levels))

    async def dismiss_stale_discovery_notice(self) -> bool:
        """Dismiss "New devices discovered" when no flow is in progress.

        Home Assistant can raise that notice just after a flow it started on
        its own has already finished. Return whether it was dismissed.
        """
        (progress,) = await self.websocket({"type": "config_entries/flow/progress"})
        if not progress["success"] or progress["result"]:
            return False
        await self._json(
            "POST",
            "/api/services/persistent_notification/dismiss",
            {"notification_id": "config_entry_discovery"},
        )
        return True

    async def update_core_config(self, **values: Any) -> None:
        """Change core settings such as ``country`` over the websocket API."""
        (result,) = await self.websocket({"type": "config/core/update", **values})
        if not result["success"]:
            raise HarnessError(f"config/core/update failed: {result['error']}")

    async def onboarding_done(self) -> bool:
        """Return whether every onboarding step is done."""
        return all((await self.onboarding_steps()).values())

    async def wait_until_running(self, seconds: float = 180.0) -> None:
        """Wait until Home Assistant has finished starting."""
        deadline = time.monotonic() + seconds
        while (await self._json("GET", "/api/config"))["state"] != "RUNNING":
            if time.monotonic() > deadline:
                raise HarnessError(f"Home Assistant did not start within {seconds}s")
            await asyncio.sleep(0.5)

    async def config_entries(self, domain: str | None = None) -> list[dict[str, Any]]:
        """Return the config entries, optionally of one domain."""
        path = "/api/config/config_entries/entry"
        if domain is not None:
            path += f"?domain={domain}"
        return list(await self._json("GET", path))

    async def remove_entries(self, domains: Iterable[str], seconds: float = 0.0) -> int:
        """Remove the entries of ``domains`` once set up; return how many.

        Waits up to ``seconds`` for the entries to appear and to finish their
        first set-up attempt, so that nothing of theirs is still being loaded
        when they go.
        """
        removed = 0
        deadline = time.monotonic() + seconds
        for domain in domains:
            while True:
                entries = await self.config_entries(domain)
                settled = all(entry["state"] in SETTLED_STATES for entry in entries)
                if (entries and settled) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
            for entry in entries:
                await self._json(
                    "DELETE", f"/api/config/config_entries/entry/{entry['entry_id']}"
                )
                removed += 1
        return removed

    async def add_simkl_entry(
        self, client_id: str = DEV_CLIENT_ID, user_id: int | str = DEV_USER_ID
    ) -> dict[str, Any] | None:
        """Add the Simkl entry through the config flow.

        Return the created entry, or None if the user's entry already exists
        (the flow aborts with ``already_configured``).
        """
        flow = await self._json(
            "POST",
            "/api/config/config_entries/flow",
            {"handler": DOMAIN, "show_advanced_options": False},
        )
        if flow.get("type") != "form" or flow.get("step_id") != "user":
            raise HarnessError(f"unexpected first flow step: {flow}")
        result = await self._json(
            "POST",
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {"client_id": client_id, "user_id": str(user_id)},
        )
        if result.get("type") == "abort" and result["reason"] == "already_configured":
            return None
        if result.get("type") != "create_entry":
            raise HarnessError(f"the config flow did not create an entry: {result}")
        return dict(result["result"])

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        """Return the state object of an entity, or None if it has none."""
        async with self.session.get(
            f"{self.url}/api/states/{entity_id}", headers=self._headers()
        ) as response:
            if response.status == 404:
                return None
            if response.status != 200:
                raise HarnessError(f"state of {entity_id}: {response.status}")
            return dict(await response.json())

    async def wait_for_state(
        self, entity_id: str, expected: str, seconds: float = 60.0
    ) -> dict[str, Any]:
        """Wait until an entity's state is ``expected``; return the state object."""
        deadline = time.monotonic() + seconds
        while True:
            current = await self.state(entity_id)
            if current is not None and current["state"] == expected:
                return current
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"{entity_id} is {current and current['state']!r}, "
                    f"not {expected!r}, after {seconds}s"
                )
            await asyncio.sleep(0.5)

    async def fetch(self, path: str) -> tuple[int, str, bytes]:
        """GET a path with the token; return status, content type and body."""
        async with self.session.get(
            f"{self.url}{path}", headers=self._headers()
        ) as response:
            return response.status, response.content_type, await response.read()

    async def websocket(self, *commands: dict[str, Any]) -> list[dict[str, Any]]:
        """Send commands over one authenticated websocket; return their results."""
        url = f"{self.url.replace('http', 'ws', 1)}/api/websocket"
        results: list[dict[str, Any]] = []
        async with self.session.ws_connect(url) as socket_:
            await socket_.receive_json()
            await socket_.send_json({"type": "auth", "access_token": self.token})
            if (answer := await socket_.receive_json())["type"] != "auth_ok":
                raise HarnessError(f"websocket auth failed: {answer}")
            for number, command in enumerate(commands, start=1):
                await socket_.send_json({**command, "id": number})
                while True:
                    message = await socket_.receive()
                    if message.type is not WSMsgType.TEXT:
                        raise HarnessError(f"websocket closed: {message.type!r}")
                    answer = message.json()
                    if answer.get("id") == number and answer["type"] == "result":
                        results.append(answer)
                        break
        return results

    async def dashboard(self, url_path: str | None = None) -> dict[str, Any] | None:
        """Return a storage dashboard's config, or None if it has none saved."""
        (result,) = await self.websocket(
            {"type": "lovelace/config", "url_path": url_path}
        )
        if not result["success"]:
            if result["error"]["code"] == "config_not_found":
                return None
            raise HarnessError(f"lovelace/config failed: {result['error']}")
        return dict(result["result"])

    async def install_dashboard(
        self,
        config: dict[str, Any],
        url_path: str | None = None,
        *,
        replace: bool = False,
    ) -> bool:
        """Save a dashboard (default: the overview) unless one is saved already.

        Return whether it was saved; ``replace`` overwrites a saved one.
        """
        if not replace and await self.dashboard(url_path) is not None:
            return False
        (result,) = await self.websocket(
            {"type": "lovelace/config/save", "config": config, "url_path": url_path}
        )
        if not result["success"]:
            raise HarnessError(f"lovelace/config/save failed: {result['error']}")
        return True
