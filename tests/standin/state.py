"""Mutable state of the Simkl stand-in: users, forced answers and counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
import copy
from dataclasses import asdict, dataclass, field
import time
from typing import Any, Literal

from .catalogue import DEFAULT_PRESET, resolve_answer

type Target = Literal["api", "images", "all"]
TARGETS: tuple[Target, ...] = ("api", "images", "all")
DEFAULT_REJECTED_CLIENT_ID = "rejected-client-id"


@dataclass(kw_only=True)
class StandInConfig:
    """Start-up settings of the stand-in; ``reset`` returns to them."""

    # User id -> preset name or JSON answer. Users not listed answer 404.
    users: Mapping[str, str | dict[str, Any]] = field(
        default_factory=lambda: {"51": DEFAULT_PRESET}
    )
    # None accepts every non-empty client_id that is not rejected.
    accepted_client_ids: frozenset[str] | None = None
    rejected_client_ids: frozenset[str] = frozenset({DEFAULT_REJECTED_CLIENT_ID})
    etag: bool = False
    last_modified: bool = False


@dataclass(kw_only=True)
class UserState:
    """The answer the endpoint gives for one user."""

    answer: Any
    private: bool = False
    # Whole seconds since the epoch, strictly increasing per user, so that a
    # Last-Modified date always tells two answers apart.
    changed_at: int


@dataclass(kw_only=True)
class ForcedResponse:
    """An answer that replaces the normal one for matching requests."""

    status: int
    body: Any = None
    text: str | None = None
    content_type: str | None = None
    retry_after: str | None = None
    remaining: int | None = None
    target: Target = "api"

    def matches(self, target: Target) -> bool:
        """Return whether this forced answer applies to a request kind."""
        return self.target in ("all", target)


@dataclass(kw_only=True)
class RequestRecord:
    """One request the stand-in answered, outside its control API."""

    time: float
    method: str
    path: str
    status: int
    bytes: int
    client_id_via: str | None = None
    app_name: str | None = None
    app_version: str | None = None
    user_agent: str | None = None
    if_none_match: str | None = None
    if_modified_since: str | None = None
    forced: bool = False


class StandInState:
    """Everything the stand-in answers from, changed by its control API."""

    def __init__(self, config: StandInConfig | None = None) -> None:
        """Set up the state from ``config``, or from the defaults."""
        self.config = config or StandInConfig()
        self.users: dict[str, UserState] = {}
        self.forced: ForcedResponse | None = None
        self.accepted_client_ids: frozenset[str] | None = None
        self.rejected_client_ids: frozenset[str] = frozenset()
        self.etag = False
        self.last_modified = False
        self.started_at = int(time.time())
        self.records: list[RequestRecord] = []
        self.reset()

    def reset(self) -> None:
        """Return to the start-up settings and clear the counters."""
        self.users = {}
        for user_id, value in self.config.users.items():
            self.set_answer(user_id, value)
        self.forced = None
        self.accepted_client_ids = self.config.accepted_client_ids
        self.rejected_client_ids = self.config.rejected_client_ids
        self.etag = self.config.etag
        self.last_modified = self.config.last_modified
        self.clear_stats()

    def set_answer(self, user_id: str | int, value: str | dict[str, Any]) -> None:
        """Make a user's current item a preset (by name) or a JSON item."""
        self.set_body(user_id, resolve_answer(value))

    def set_body(self, user_id: str | int, body: Any) -> None:
        """Make a user answer with any JSON body, creating the user if needed."""
        user_id = str(user_id)
        body = copy.deepcopy(body)
        if (user := self.users.get(user_id)) is None:
            self.users[user_id] = UserState(answer=body, changed_at=self._now(None))
            return
        if user.answer != body:
            user.answer = body
            user.changed_at = self._now(user.changed_at)

    def set_private(self, user_id: str | int, private: bool) -> None:
        """Hide a user's profile (404) or show it again."""
        user = self.users[str(user_id)]
        if user.private != private:
            user.private = private
            user.changed_at = self._now(user.changed_at)

    def remove_user(self, user_id: str | int) -> None:
        """Forget a user, so that the endpoint answers 404 for it."""
        self.users.pop(str(user_id), None)

    def force(
        self,
        status: int,
        *,
        body: Any = None,
        text: str | None = None,
        content_type: str | None = None,
        retry_after: str | int | None = None,
        count: int | None = None,
        target: Target = "api",
    ) -> None:
        """Answer the next ``count`` matching requests (all if None) with ``status``.

        ``body`` is sent as JSON, ``text`` as it is (an empty string sends an
        empty body); with neither, an error status gets a JSON error body.
        """
        if not 100 <= status <= 599:
            raise ValueError(f"status {status} is not an HTTP status")
        if target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}")
        if count is not None and count < 1:
            raise ValueError("count must be at least 1, or null for until cleared")
        self.forced = ForcedResponse(
            status=status,
            body=copy.deepcopy(body),
            text=text,
            content_type=content_type,
            retry_after=None if retry_after is None else str(retry_after),
            remaining=count,
            target=target,
        )

    def clear_force(self) -> None:
        """Stop forcing answers."""
        self.forced = None

    def take_forced(self, target: Target) -> ForcedResponse | None:
        """Return the forced answer for a request kind, using up one of its count."""
        forced = self.forced
        if forced is None or not forced.matches(target):
            return None
        if forced.remaining is not None:
            forced.remaining -= 1
            if forced.remaining <= 0:
                self.forced = None
        return forced

    def set_conditional(
        self, *, etag: bool | None = None, last_modified: bool | None = None
    ) -> None:
        """Turn ETag and Last-Modified validators (and 304 answers) on or off."""
        if etag is not None:
            self.etag = etag
        if last_modified is not None:
            self.last_modified = last_modified

    def set_client_ids(
        self,
        *,
        accepted: Iterable[str] | None = None,
        rejected: Iterable[str] | None = None,
        accept_any: bool = False,
    ) -> None:
        """Change which client_ids are accepted and which are rejected."""
        if accept_any:
            self.accepted_client_ids = None
        elif accepted is not None:
            self.accepted_client_ids = frozenset(accepted)
        if rejected is not None:
            self.rejected_client_ids = frozenset(rejected)

    def client_id_accepted(self, client_id: str | None) -> bool:
        """Return whether the endpoint accepts a client_id."""
        if not client_id or client_id in self.rejected_client_ids:
            return False
        return self.accepted_client_ids is None or client_id in self.accepted_client_ids

    def record(self, record: RequestRecord) -> None:
        """Count one answered request."""
        self.records.append(record)

    def clear_stats(self) -> None:
        """Forget the counted requests."""
        self.records = []

    def stats(self) -> dict[str, Any]:
        """Return requests and body bytes per path, and every request's record."""
        requests: Counter[str] = Counter()
        sent: Counter[str] = Counter()
        for record in self.records:
            requests[record.path] += 1
            sent[record.path] += record.bytes
        return {
            "total_requests": len(self.records),
            "total_bytes": sum(sent.values()),
            "requests": dict(requests),
            "bytes": dict(sent),
            "timestamps": [record.time for record in self.records],
            "log": [asdict(record) for record in self.records],
        }

    def describe(self) -> dict[str, Any]:
        """Return the current settings as JSON."""
        accepted = self.accepted_client_ids
        return {
            "users": {user_id: asdict(user) for user_id, user in self.users.items()},
            "forced": None if self.forced is None else asdict(self.forced),
            "accepted_client_ids": None if accepted is None else sorted(accepted),
            "rejected_client_ids": sorted(self.rejected_client_ids),
            "etag": self.etag,
            "last_modified": self.last_modified,
        }

    @staticmethod
    def _now(previous: int | None) -> int:
        """Return the current whole second, later than ``previous``."""
        now = int(time.time())
        return now if previous is None else max(now, previous + 1)
