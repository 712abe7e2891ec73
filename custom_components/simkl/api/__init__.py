"""Asynchronous client for Simkl's recently watched endpoint.

This package has no Home Assistant imports: it is shaped like a small published
library so it can be released on its own.
"""

from .client import Simkl
from .exceptions import (
    SimklAuthenticationError,
    SimklConnectionError,
    SimklError,
    SimklInvalidResponseError,
    SimklNotFoundError,
    SimklRateLimitError,
)
from .models import Artwork, ArtworkKind, MediaType, RecentlyWatched
from .pacer import RequestPacer

__all__ = [
    "Artwork",
    "ArtworkKind",
    "MediaType",
    "RecentlyWatched",
    "RequestPacer",
    "Simkl",
    "SimklAuthenticationError",
    "SimklConnectionError",
    "SimklError",
    "SimklInvalidResponseError",
    "SimklNotFoundError",
    "SimklRateLimitError",
]
