"""Constants for the Simkl integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "simkl"
LOGGER = logging.getLogger(__package__)

CONF_USER_ID: Final = "user_id"
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_POSTER_SIZE: Final = "poster_size"
CONF_FANART_SIZE: Final = "fanart_size"

DEFAULT_SCAN_INTERVAL: Final = 5
MIN_SCAN_INTERVAL: Final = 1
MAX_SCAN_INTERVAL: Final = 60

# Image size options and the size suffixes of Simkl's catalogue images they
# stand for; "_0" is the full image.
POSTER_SIZES: Final = {"full": "_0", "medium": "_m"}
FANART_SIZES: Final = {"full": "_0", "large": "_medium", "small": "_mobile"}
DEFAULT_IMAGE_SIZE: Final = "full"

# Consecutive failed polls (rate limits, server errors, timeouts, unreadable
# answers) during which the entities keep showing the last known item.
TOLERATED_FAILURES: Final = 3
# Polling backs off after failures, up to this many times the interval.
MAX_BACKOFF_FACTOR: Final = 4

# Requests that share one client_id start at least this far apart, which keeps
# every entry of a client_id well inside Simkl's 10 requests per second.
REQUEST_SPACING: Final = timedelta(milliseconds=250)

APP_NAME: Final = "home-assistant-simkl"

# Development override: one base URL that serves both the API paths and the
# catalogue image folders, such as the stand-in server in tests/standin.
ENV_BASE_URL: Final = "SIMKL_BASE_URL"

PROFILE_URL: Final = "https://simkl.com/{user_id}/"
