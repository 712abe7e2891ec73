"""Headless Chromium through Playwright, and what the test reads from the page.

Playwright drives Debian's own Chromium (``/usr/bin/chromium``) over the
DevTools protocol; it never downloads a browser of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Mapping
import contextlib
from dataclasses import dataclass
from pathlib import Path
import time
from typing import Any

from playwright.async_api import (
    BrowserContext,
    Page,
    Route,
    ViewportSize,
    async_playwright,
)
from yarl import URL

CHROMIUM = Path("/usr/bin/chromium")
# Playwright adds --headless and --user-data-dir (the profile directory given
# to chromium_context) itself.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
)
VIEWPORT: ViewportSize = {"width": 1280, "height": 720}
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost"})

# Every <img> of the page, also those inside (nested) open shadow roots, where
# Home Assistant's cards keep theirs.
IMAGES_SCRIPT = """() => {
  const found = [];
  const walk = (root) => {
    for (const element of root.querySelectorAll("*")) {
      if (element.tagName === "IMG") {
        const host = element.getRootNode().host;
        found.push({
          src: element.currentSrc || element.src,
          complete: element.complete,
          natural_width: element.naturalWidth,
          natural_height: element.naturalHeight,
          host: host ? host.localName : null,
        });
      }
      if (element.shadowRoot) {
        walk(element.shadowRoot);
      }
    }
  };
  walk(document);
  return found;
}"""


@dataclass(frozen=True, kw_only=True)
class PageImage:
    """One <img> element of the page and its loading state."""

    src: str
    complete: bool
    natural_width: int
    natural_height: int
    host: str | None

    @property
    def loaded(self) -> bool:
        """Return whether the image finished loading a picture of non-zero size."""
        return self.complete and self.natural_width > 0 and self.natural_height > 0


async def _loopback_only(route: Route) -> None:
    """Let requests to loopback through and abort every other one."""
    if URL(route.request.url).host in LOOPBACK_HOSTS:
        await route.continue_()
    else:
        await route.abort("blockedbyclient")


@contextlib.asynccontextmanager
async def chromium_context(profile_dir: Path) -> AsyncIterator[BrowserContext]:
    """Run headless Chromium on a fresh profile; close it on leaving the block."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile_dir,
            executable_path=CHROMIUM,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport=VIEWPORT,
            locale="en-US",
            timezone_id="UTC",
            color_scheme="light",
            reduced_motion="reduce",
            service_workers="block",
        )
        try:
            await context.route("**/*", _loopback_only)
            yield context
        finally:
            await context.close()


async def log_in(page: Page, url: str, username: str, password: str) -> None:
    """Open Home Assistant and log in through its login form."""
    await page.goto(f"{url}/")
    await page.get_by_role("textbox", name="Username").fill(username)
    await page.get_by_role("textbox", name="Password").fill(password)
    await page.get_by_role("button", name="Log in").click()


async def page_images(page: Page) -> list[PageImage]:
    """Return every <img> of the page, shadow roots included."""
    found: list[dict[str, Any]] = await page.evaluate(IMAGES_SCRIPT)
    return [PageImage(**image) for image in found]


def _pick(images: list[PageImage], part: str, old: Collection[str]) -> PageImage | None:
    """Return the first loaded image whose src holds ``part`` and is not old."""
    for image in images:
        if part in image.src and image.src not in old and image.loaded:
            return image
    return None


async def wait_for_images(
    page: Page,
    wanted: Mapping[str, str],
    *,
    old: Collection[str] = (),
    seconds: float = 60.0,
) -> dict[str, PageImage]:
    """Wait until, for each name, an image whose src holds its part has loaded.

    ``wanted`` maps a name to a part of the src; sources in ``old`` do not
    count. Return the image found for each name.
    """
    deadline = time.monotonic() + seconds
    while True:
        images = await page_images(page)
        found = {name: _pick(images, part, old) for name, part in wanted.items()}
        if all(found.values()):
            return {name: image for name, image in found.items() if image}
        if time.monotonic() > deadline:
            missing = sorted(name for name, image in found.items() if image is None)
            raise AssertionError(
                f"images {missing} did not load within {seconds}s; the page "
                f"has {images}"
            )
        await asyncio.sleep(0.25)
