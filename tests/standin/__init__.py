"""A local stand-in of Simkl's recently watched endpoint and image host.

Run it with ``python -m tests.standin --host 127.0.0.1 --port 8124`` and point
the integration at it with ``SIMKL_BASE_URL=http://127.0.0.1:8124``. It answers
``GET /users/recently-watched-background/{user_id}`` as the documentation
describes, serves real JPGs at ``/posters/<key>_<size>.jpg`` and
``/fanart/<key>_<size>.jpg``, and is steered through a control API:

- ``GET /_standin``: current settings.
- ``POST /_standin/users/{user_id}``: ``{"preset": "inception"}``,
  ``{"item": {...}}`` or ``{"body": null}``, and/or ``{"private": true}``.
  ``DELETE`` forgets the user (404).
- ``POST /_standin/force``: ``{"status": 429, "retry_after": 30, "count": 2,
  "target": "api"}`` (``count`` null: until ``DELETE /_standin/force``;
  ``target`` api, images or all; ``body`` sent as JSON or ``text`` as is).
- ``POST /_standin/conditional``: ``{"etag": true, "last_modified": true}``
  adds validators and answers 304 to If-None-Match / If-Modified-Since.
- ``POST /_standin/client_ids``: ``{"accepted": [...] or null,
  "rejected": [...]}``.
- ``GET /_standin/stats``: requests and body bytes per path, timestamps and a
  log of every request; ``DELETE`` clears them.
- ``POST /_standin/reset``: back to the start-up settings, counters cleared.

Presets: see ``PRESETS`` in ``catalogue.py``.
"""

from .app import create_app
from .catalogue import GAME_OF_THRONES, INCEPTION, PRESETS, Item, image_bytes
from .server import StandIn, StandInControl, StandInProcess
from .state import DEFAULT_REJECTED_CLIENT_ID, StandInConfig, StandInState

__all__ = [
    "DEFAULT_REJECTED_CLIENT_ID",
    "GAME_OF_THRONES",
    "INCEPTION",
    "PRESETS",
    "Item",
    "StandIn",
    "StandInConfig",
    "StandInControl",
    "StandInProcess",
    "StandInState",
    "create_app",
    "image_bytes",
]
