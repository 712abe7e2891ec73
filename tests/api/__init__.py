"""Tests for the Home-Assistant-free Simkl client library."""

from __future__ import annotations

from typing import Any

CLIENT_ID = "SENTINEL-CLIENT-ID-4f9a"
APP_NAME = "ha-simkl-test"
APP_VERSION = "1.2.3"
USER_ID = 51
ENDPOINT = f"https://api.simkl.com/users/recently-watched-background/{USER_ID}"
REQUEST_URL = f"{ENDPOINT}?app-name={APP_NAME}&app-version={APP_VERSION}"

# The example body of Simkl's documentation page for the endpoint.
EXAMPLE: dict[str, Any] = {
    "id": 17465,
    "url": "https://simkl.com/tv/17465/game-of-thrones",
    "title": "Game of Thrones",
    "poster": "17/17465posterkey",
    "fanart": "17/17465fanartkey",
}
