"""Run the Simkl stand-in: ``python -m tests.standin --host 127.0.0.1 --port 8124``."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
import logging
import signal

from .catalogue import PRESETS
from .server import LOOPBACK, READY_PREFIX, StandIn
from .state import DEFAULT_REJECTED_CLIENT_ID, StandInConfig


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.standin", description=__doc__
    )
    parser.add_argument("--host", default=LOOPBACK, help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=8124, help="port to listen on (0: any free one)"
    )
    parser.add_argument(
        "--user",
        action="append",
        metavar="ID[=PRESET]",
        help=(
            "a public user and its preset (default: 51=got); repeatable; "
            f"presets: {', '.join(PRESETS)}"
        ),
    )
    parser.add_argument(
        "--accept-client-id",
        action="append",
        metavar="ID",
        help="accept only these client_ids (default: any non-empty one)",
    )
    parser.add_argument(
        "--reject-client-id",
        action="append",
        metavar="ID",
        help=f"reject these client_ids (default: {DEFAULT_REJECTED_CLIENT_ID})",
    )
    parser.add_argument("--etag", action="store_true", help="send ETag, answer 304")
    parser.add_argument(
        "--last-modified", action="store_true", help="send Last-Modified, answer 304"
    )
    parser.add_argument(
        "--access-log", action="store_true", help="log every request to stderr"
    )
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> StandInConfig:
    """Return the stand-in settings that the options describe."""
    config = StandInConfig(etag=args.etag, last_modified=args.last_modified)
    if args.user:
        users: dict[str, str] = {}
        for spec in args.user:
            user_id, _, preset = spec.partition("=")
            if preset and preset not in PRESETS:
                raise SystemExit(f"unknown preset {preset!r}")
            users[user_id] = preset or "got"
        config.users = users
    if args.accept_client_id:
        config.accepted_client_ids = frozenset(args.accept_client_id)
    if args.reject_client_id:
        config.rejected_client_ids = frozenset(args.reject_client_id)
    return config


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with StandIn(
        build_config(args), host=args.host, port=args.port, access_log=args.access_log
    ) as standin:
        print(f"{READY_PREFIX}{standin.url}", flush=True)  # noqa: T201
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> None:
    """Run the stand-in from the command line."""
    args = parse_args(argv)
    if args.access_log:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
