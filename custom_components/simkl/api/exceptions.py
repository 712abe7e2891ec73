"""Exceptions raised by the Simkl client."""

from __future__ import annotations


class SimklError(Exception):
    """Base for every error the Simkl client raises."""


class SimklConnectionError(SimklError):
    """Simkl could not be reached, timed out or answered with a server error."""


class SimklAuthenticationError(SimklError):
    """Simkl rejected the client_id (HTTP 401, 403 or 412)."""


class SimklNotFoundError(SimklError):
    """The user is unknown or the profile is private (HTTP 404)."""


class SimklRateLimitError(SimklError):
    """Simkl asked the client to slow down (HTTP 429)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        """Store the delay Simkl asked for, in seconds, when it sent one."""
        super().__init__(message)
        self.retry_after = retry_after


class SimklInvalidResponseError(SimklError):
    """Simkl answered with a body or status the client does not understand."""
