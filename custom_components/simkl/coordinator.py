"""Data update coordinator for the Simkl integration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
import hashlib
import os
from time import monotonic

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.loader import async_get_integration
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .api import (
    RecentlyWatched,
    RequestPacer,
    Simkl,
    SimklAuthenticationError,
    SimklError,
    SimklInvalidResponseError,
    SimklNotFoundError,
    SimklRateLimitError,
)
from .api.client import API_URL, IMAGE_URL
from .const import (
    APP_NAME,
    CONF_FANART_SIZE,
    CONF_POSTER_SIZE,
    CONF_SCAN_INTERVAL,
    CONF_USER_ID,
    DEFAULT_IMAGE_SIZE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    ENV_BASE_URL,
    FANART_SIZES,
    LOGGER,
    MAX_BACKOFF_FACTOR,
    POSTER_SIZES,
    PROFILE_URL,
    REQUEST_SPACING,
    TOLERATED_FAILURES,
)

type SimklConfigEntry = ConfigEntry[SimklCoordinator]

DATA_PACERS: HassKey[dict[str, RequestPacer]] = HassKey(f"{DOMAIN}_pacers")


async def async_create_client(
    hass: HomeAssistant, client_id: str, *, shared_pacer: bool = False
) -> Simkl:
    """Return a Simkl client on Home Assistant's shared HTTP session.

    With ``shared_pacer`` every client of the same client_id waits on one
    pacer, so the entries that share a client_id share its rate limit.
    """
    integration = await async_get_integration(hass, DOMAIN)
    base_url = os.environ.get(ENV_BASE_URL)
    pacer = None
    if shared_pacer:
        key = hashlib.sha256(client_id.encode()).hexdigest()
        pacer = hass.data.setdefault(DATA_PACERS, {}).setdefault(
            key, RequestPacer(REQUEST_SPACING.total_seconds())
        )
    return Simkl(
        client_id,
        session=async_get_clientsession(hass),
        app_name=APP_NAME,
        app_version=str(integration.version),
        api_url=base_url or API_URL,
        image_url=base_url or IMAGE_URL,
        pacer=pacer,
    )


@dataclass(slots=True)
class PollStats:
    """Timing and outcome of the coordinator's polls, for diagnostics."""

    last_success: datetime | None = None
    last_attempt: datetime | None = None
    last_duration: float | None = None
    last_error: str | None = None
    consecutive_failures: int = 0


def profile_issue_id(user_id: int | str) -> str:
    """Return the id of a user's "profile not found" repair issue."""
    return f"profile_not_found_{user_id}"


class SimklCoordinator(DataUpdateCoordinator[RecentlyWatched | None]):
    """Poll the item a Simkl user watched most recently."""

    config_entry: SimklConfigEntry
    # Set from the entry's options by apply_options().
    interval: timedelta
    poster_size: str
    fanart_size: str

    def __init__(
        self, hass: HomeAssistant, entry: SimklConfigEntry, client: Simkl
    ) -> None:
        """Set up the coordinator for one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=timedelta(minutes=DEFAULT_SCAN_INTERVAL),
            always_update=False,
        )
        self.client = client
        self.user_id: int = entry.data[CONF_USER_ID]
        self.stats = PollStats()
        self.apply_options()

    @property
    def issue_id(self) -> str:
        """Return the id of this user's "profile not found" repair issue."""
        return profile_issue_id(self.user_id)

    def apply_options(self) -> None:
        """Apply the entry's options: polling interval and image sizes."""
        options = self.config_entry.options
        self.interval = timedelta(
            minutes=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        )
        self.poster_size = POSTER_SIZES[
            options.get(CONF_POSTER_SIZE, DEFAULT_IMAGE_SIZE)
        ]
        self.fanart_size = FANART_SIZES[
            options.get(CONF_FANART_SIZE, DEFAULT_IMAGE_SIZE)
        ]
        if (
            not self.stats.consecutive_failures
            and self.update_interval != self.interval
        ):
            self.update_interval = self.interval
            # The next poll comes one new interval from now, not at the time
            # the old interval had planned.
            self._schedule_refresh()
        self.async_update_listeners()

    async def async_first_poll(self) -> None:
        """Poll for the first time and hand the answer to every entity.

        Entities set up before any poll answered take the first answer as
        their starting point, even when it equals the empty initial data.
        """
        await self.async_refresh()
        self.async_update_listeners()

    def poster_url(self, item: RecentlyWatched | None) -> str | None:
        """Return the poster URL of an item at the configured size."""
        if item is None or item.poster is None:
            return None
        return self.client.image_url(item.poster, self.poster_size)

    def fanart_url(self, item: RecentlyWatched | None) -> str | None:
        """Return the fanart URL of an item at the configured size."""
        if item is None or item.fanart is None:
            return None
        return self.client.image_url(item.fanart, self.fanart_size)

    async def _async_update_data(self) -> RecentlyWatched | None:
        """Fetch the most recently watched item."""
        stats = self.stats
        stats.last_attempt = dt_util.utcnow()
        started = monotonic()
        try:
            item = await self.client.recently_watched(self.user_id)
        except SimklAuthenticationError as err:
            self._record_failure("authentication", started)
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except SimklNotFoundError as err:
            self._record_failure("not_found", started)
            self.update_interval = self.interval * MAX_BACKOFF_FACTOR
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                self.issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="profile_not_found",
                translation_placeholders={
                    "user_id": str(self.user_id),
                    "profile_url": PROFILE_URL.format(user_id=self.user_id),
                },
            )
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="user_not_found",
                translation_placeholders={"user_id": str(self.user_id)},
            ) from err
        except SimklError as err:
            return self._handle_transient(err, started)

        stats.last_duration = monotonic() - started
        stats.last_success = dt_util.utcnow()
        stats.last_error = None
        stats.consecutive_failures = 0
        self.update_interval = self.interval
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        return item

    def _handle_transient(
        self, err: SimklError, started: float
    ) -> RecentlyWatched | None:
        """Keep the last item through a short hiccup, then report the failure."""
        if isinstance(err, SimklRateLimitError):
            kind, key = "rate_limited", "rate_limited"
        elif isinstance(err, SimklInvalidResponseError):
            kind, key = "invalid_response", "invalid_response"
        else:
            kind, key = "connection", "cannot_connect"
        self._record_failure(kind, started)
        failures = self.stats.consecutive_failures
        backoff = self.interval * min(2 ** (failures - 1), MAX_BACKOFF_FACTOR)
        if isinstance(err, SimklRateLimitError) and err.retry_after is not None:
            backoff = max(self.interval, timedelta(seconds=err.retry_after))
        self.update_interval = backoff
        # Only a run of hiccups after good polls keeps the last item; after a
        # rejected client_id or a missing profile the entities stay unavailable.
        if (
            self.last_update_success
            and self.stats.last_success is not None
            and failures <= TOLERATED_FAILURES
        ):
            return self.data
        raise UpdateFailed(translation_domain=DOMAIN, translation_key=key) from err

    def _record_failure(self, kind: str, started: float) -> None:
        """Record a failed poll for diagnostics and the failure count."""
        self.stats.last_duration = monotonic() - started
        self.stats.last_error = kind
        self.stats.consecutive_failures += 1
