"""Run the development instance: the Simkl stand-in and Home Assistant on loopback.

Started by ``scripts/develop``. The first run onboards Home Assistant (user
``dev``, password ``dev-password-123``), adds the Simkl entry for user 51 and
saves the overview dashboard; later runs reuse ``.dev/config`` as it is.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
import shutil
import signal
import sys

from aiohttp import ClientSession

from tests.e2e.harness import (
    DEV_CLIENT_ID,
    DEV_PASSWORD,
    DEV_USER_ID,
    DEV_USERNAME,
    ENV_BASE_URL,
    LOOPBACK,
    ONLINE_ONBOARDING_DOMAINS,
    REPO_ROOT,
    RESTART_EXIT_CODE,
    HarnessError,
    HomeAssistantClient,
    HomeAssistantProcess,
    dashboard_config,
    entity_ids,
    link_integration,
    port_in_use,
    write_configuration,
)
from tests.standin import StandInProcess

DEV_DIR = REPO_ROOT / ".dev"
CONFIG_DIR = DEV_DIR / "config"
STANDIN_LOG = DEV_DIR / "standin.log"
COUNTRY = "US"

# default_config without the integrations that cannot work on a loopback-only
# machine: discovery (bluetooth, dhcp, ssdp, usb, zeroconf) listens and sends
# on every network interface, go2rtc needs its own binary (and fails the whole
# of default_config in a container), cloud and homeassistant_alerts need the
# internet, mobile_app pulls in cloud, assist_pipeline and stream need ffmpeg.
INTEGRATIONS = (
    "frontend",
    "conversation",
    "energy",
    "history",
    "logbook",
    "media_source",
    "my",
    "sun",
    "webhook",
)
CONFIG_COMMENT = f"""\
Development instance of the Simkl integration, written by scripts/develop.
It is kept as it is on later runs; scripts/develop --reset starts afresh.
The Simkl integration talks to the stand-in through {ENV_BASE_URL}.
default_config is replaced by the part of it that works offline on loopback."""
# libturbojpeg is an optional system library; without it Home Assistant logs
# an error that only says camera snapshots are slower.
EXTRA_LOGS = {"homeassistant.components.camera.img_util": "critical"}
# Onboarding's text-to-speech entry loads ffmpeg, which logs a traceback when
# the ffmpeg program is missing; the entry is removed right after onboarding.
ONBOARDING_NOISE = ("haffmpeg",)


def say(message: str, *, error: bool = False) -> None:
    """Print a message; a closed terminal or pipe must not stop the clean-up."""
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr if error else sys.stdout, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__)
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant port")
    parser.add_argument(
        "--standin-port", type=int, default=8124, help="Simkl stand-in port"
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete .dev/config first: onboarding and the entry start afresh",
    )
    return parser.parse_args(argv)


async def provision(hass: HomeAssistantProcess) -> str:
    """Onboard, add the Simkl entry and the dashboard where missing.

    Return the sensor's state.
    """
    async with ClientSession() as session:
        client = HomeAssistantClient(hass.url, session)
        await client.wait_until_up(process=hass)
        onboarded = await client.onboard(quiet_loggers=ONBOARDING_NOISE)
        await client.wait_until_running()
        if onboarded:
            say("devinstance: onboarding done")
            # Any country will do; without one Home Assistant raises a repair.
            await client.update_core_config(country=COUNTRY)
            await client.remove_entries(ONLINE_ONBOARDING_DOMAINS, seconds=15)
            await client.set_log_levels(dict.fromkeys(ONBOARDING_NOISE, "warning"))
        if await client.add_simkl_entry(DEV_CLIENT_ID, DEV_USER_ID) is not None:
            say(f"devinstance: Simkl entry added for user {DEV_USER_ID}")
        if await client.install_dashboard(dashboard_config(DEV_USER_ID)):
            say("devinstance: overview dashboard saved")
        await client.dismiss_stale_discovery_notice()
        sensor = entity_ids(DEV_USER_ID)["sensor"]
        try:
            found = await client.wait_for_state(sensor, "Game of Thrones", seconds=30)
        except HarnessError:
            # Another item or an error: show whatever the sensor says now.
            if (current := await client.state(sensor)) is None:
                return "unknown"
            found = current
        return str(found["state"])


async def wait_until_up(hass: HomeAssistantProcess) -> None:
    """Wait until a restarted Home Assistant answers again."""
    async with ClientSession() as session:
        await HomeAssistantClient(hass.url, session).wait_until_up(process=hass)


def banner(hass: HomeAssistantProcess, standin: StandInProcess, state: str) -> str:
    """Return what a developer needs to know once everything runs."""
    sensor = entity_ids(DEV_USER_ID)["sensor"]
    return f"""
Home Assistant with the Simkl integration is running.
  open       {hass.url}
  log in     user {DEV_USERNAME}, password {DEV_PASSWORD}
  sensor     {sensor} = {state}
  stand-in   {standin.url}  (requests: {STANDIN_LOG.relative_to(REPO_ROOT)})
  switch     curl -X POST {standin.url}/_standin/users/{DEV_USER_ID} \
-d '{{"preset": "inception"}}'
  HA log     {hass.log_path.relative_to(REPO_ROOT)}
Ctrl-C stops Home Assistant and the stand-in.
"""


def run(args: argparse.Namespace) -> int:
    """Start both processes, provision Home Assistant and wait until it exits."""
    for port, what in ((args.port, "Home Assistant"), (args.standin_port, "stand-in")):
        if port_in_use(port):
            say(
                f"devinstance: {LOOPBACK}:{port} is taken; is another "
                f"scripts/develop running? Pick a free port for the {what}.",
                error=True,
            )
            return 1
    if args.reset and CONFIG_DIR.exists():
        shutil.rmtree(CONFIG_DIR)
    configuration = CONFIG_DIR / "configuration.yaml"
    if not configuration.exists():
        write_configuration(
            CONFIG_DIR,
            port=args.port,
            integrations=INTEGRATIONS,
            comment=CONFIG_COMMENT,
            extra_logs=EXTRA_LOGS,
        )
    elif f"server_port: {args.port}\n" not in configuration.read_text("utf-8"):
        say(
            f"devinstance: {configuration.relative_to(REPO_ROOT)} does not listen "
            f"on port {args.port}; edit it or start afresh with --reset",
            error=True,
        )
        return 1
    link_integration(CONFIG_DIR)

    standin = StandInProcess(
        port=args.standin_port, args=["--access-log"], log_path=STANDIN_LOG
    )
    hass: HomeAssistantProcess | None = None
    try:
        standin.start()
        say(f"devinstance: stand-in at {standin.url}")
        hass = HomeAssistantProcess(
            CONFIG_DIR, port=args.port, env={ENV_BASE_URL: standin.url}
        )
        say(f"devinstance: starting Home Assistant at {hass.url}")
        hass.start()
        state = asyncio.run(provision(hass))
        say(banner(hass, standin, state))
        while (code := hass.wait()) == RESTART_EXIT_CODE:
            say("devinstance: restarting Home Assistant")
            hass.start()
            asyncio.run(wait_until_up(hass))
            say(f"devinstance: Home Assistant is back at {hass.url}")
    except KeyboardInterrupt:
        code = 0
    except (HarnessError, RuntimeError, TimeoutError) as err:
        say(f"devinstance: {err}", error=True)
        code = 1
    finally:
        # A second Ctrl-C must not leave a process behind half-stopped.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        say("devinstance: stopping Home Assistant and the stand-in")
        if hass is not None:
            hass.stop()
        standin.stop()
        say("devinstance: stopped")
    return code


def main(argv: Sequence[str] | None = None) -> None:
    """Run the development instance from the command line."""
    sys.exit(run(parse_args(argv)))


if __name__ == "__main__":
    main()
