"""Fixtures for the browser test, which runs without the ``hass`` fixture."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Replace the suite's fixture of this name, which needs ``hass``.

    The Home Assistant under test runs in its own process and finds the
    integration in its configuration directory.
    """
