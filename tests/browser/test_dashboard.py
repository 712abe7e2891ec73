"""Open the development dashboard in headless Chromium and watch it follow Simkl.

Home Assistant runs in its own process on loopback with the Simkl stand-in,
set up as ``scripts/develop`` sets it up. Chromium logs in through the login
form and opens the dashboard of the three cards in ``examples/cards``. Then the
stand-in switches user 51 to another item and the test asks for the next poll
with ``homeassistant.update_entity`` on the sensor, which refreshes the
entry's coordinator at once; the open page must follow without a reload.

The first screenshot is the README's ``docs/dashboard.png``: run the test with
``SIMKL_UPDATE_SCREENSHOT=1`` to write it again; otherwise the test warns when
the dashboard no longer looks like it.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
import os
from pathlib import Path
import shutil
from typing import Any
import uuid
import warnings

from aiohttp import ClientSession
from homeassistant.util.yaml import parse_yaml
from PIL import Image, ImageChops
from playwright.async_api import Error as PlaywrightError, Page, expect
import pytest

from tests.e2e.harness import (
    DEV_CLIENT_ID,
    DEV_PASSWORD,
    DEV_USER_ID,
    DEV_USERNAME,
    ENV_BASE_URL,
    EXAMPLE_CARDS_DIR,
    ONLINE_ONBOARDING_DOMAINS,
    REPO_ROOT,
    HarnessError,
    HomeAssistantClient,
    HomeAssistantProcess,
    dashboard_config,
    entity_ids,
    free_port,
    link_integration,
    write_configuration,
)
from tests.standin import GAME_OF_THRONES, INCEPTION, Item, StandIn, image_bytes

from .chromium import CHROMIUM, PageImage, chromium_context, log_in, wait_for_images

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

SCREENSHOT = REPO_ROOT / "docs" / "dashboard.png"
UPDATE_SCREENSHOT_ENV = "SIMKL_UPDATE_SCREENSHOT"
DASHBOARD_PATH = "/lovelace/simkl"
SWITCH_PRESET = "inception"
# How long the page may take to show what Home Assistant shows.
PAGE_SECONDS = 60.0
IDS = entity_ids(DEV_USER_ID)


class ScreenshotChangedWarning(UserWarning):
    """The dashboard no longer looks like the README's screenshot."""


async def test_dashboard_shows_and_follows_the_watched_item(
    socket_enabled: None, tmp_path: Path
) -> None:
    """Log in, see title, poster and fanart, then see them switch without reload."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    config_dir = tmp_path / "config"
    port = free_port()
    write_configuration(config_dir, port=port, integrations=("frontend",))
    link_integration(config_dir)
    first = tmp_path / "dashboard.png"

    async with StandIn() as standin:
        hass = HomeAssistantProcess(
            config_dir,
            port=port,
            env={ENV_BASE_URL: standin.url},
            skip_pip=True,
            output=tmp_path / "output.log",
        )
        hass.start()
        try:
            async with ClientSession() as session:
                client = HomeAssistantClient(hass.url, session)
                await _provision(client, hass)
                async with chromium_context(tmp_path / "chromium") as context:
                    page = context.pages[0]
                    try:
                        await _first_render(page, client, first)
                        await _live_switch(page, client, standin, tmp_path)
                    except Exception:
                        await _save_failure(page, tmp_path / "failure.png")
                        raise
        except (AssertionError, HarnessError, PlaywrightError, TimeoutError) as err:
            pytest.fail(f"{err}\nscreenshots in {tmp_path}\n{hass.log_tail()}")
        finally:
            hass.stop()

    _refresh_readme_screenshot(first)


async def _provision(client: HomeAssistantClient, hass: HomeAssistantProcess) -> None:
    """Onboard, add the Simkl entry and save the dashboard like scripts/develop."""
    await client.wait_until_up(process=hass)
    assert await client.onboard(), "a new instance should need onboarding"
    await client.wait_until_running()
    # A country spares a repair badge; the entries onboarding adds for online
    # services would only show errors offline.
    await client.update_core_config(country="US")
    await client.remove_entries(ONLINE_ONBOARDING_DOMAINS, seconds=15)
    entry = await client.add_simkl_entry(DEV_CLIENT_ID, DEV_USER_ID)
    assert entry is not None
    assert entry["state"] == "loaded"
    assert await client.install_dashboard(dashboard_config(DEV_USER_ID))
    saved = await client.dashboard()
    assert saved is not None
    assert _cards(saved) == _example_cards(), "the dashboard is not examples/cards"
    await client.dismiss_stale_discovery_notice()
    await client.wait_for_state(IDS["sensor"], GAME_OF_THRONES.title)


def _cards(dashboard: Mapping[str, Any]) -> list[str]:
    """Return the dashboard's cards without their layout options, sorted as JSON."""
    cards = [
        {key: value for key, value in card.items() if key != "grid_options"}
        for view in dashboard["views"]
        for section in view.get("sections", [])
        for card in section["cards"]
    ]
    return sorted(json.dumps(card, sort_keys=True) for card in cards)


def _example_cards() -> list[str]:
    """Return the cards of examples/cards, sorted as JSON."""
    return sorted(
        json.dumps(parse_yaml(path.read_text(encoding="utf-8")), sort_keys=True)
        for path in EXAMPLE_CARDS_DIR.glob("*.yaml")
    )


async def _first_render(page: Page, client: HomeAssistantClient, shot: Path) -> None:
    """Log in through the form and check the dashboard's first render."""
    await log_in(page, client.url, DEV_USERNAME, DEV_PASSWORD)
    await page.wait_for_url(f"{client.url}{DASHBOARD_PATH}")
    await _expect_title(page, GAME_OF_THRONES)
    images = await wait_for_images(page, _wanted(GAME_OF_THRONES), seconds=PAGE_SECONDS)
    await _expect_served(client, images, GAME_OF_THRONES)
    await page.evaluate("() => document.fonts.ready.then(() => true)")
    await page.screenshot(path=shot)


async def _live_switch(
    page: Page, client: HomeAssistantClient, standin: StandIn, tmp_path: Path
) -> None:
    """Switch the stand-in's item, poll once and watch the open page follow."""
    marker = uuid.uuid4().hex
    await page.evaluate("(marker) => { window.__simklMarker = marker; }", marker)
    before = await wait_for_images(page, _wanted(GAME_OF_THRONES), seconds=0)

    async with client.session.post(
        f"{standin.url}/_standin/users/{DEV_USER_ID}", json={"preset": SWITCH_PRESET}
    ) as response:
        assert response.status == 200, await response.text()
    (result,) = await client.websocket(
        {
            "type": "call_service",
            "domain": "homeassistant",
            "service": "update_entity",
            "service_data": {"entity_id": IDS["sensor"]},
        }
    )
    assert result["success"], result
    await client.wait_for_state(IDS["sensor"], INCEPTION.title, seconds=30)

    await _expect_title(page, INCEPTION)
    old = {image.src for image in before.values()}
    images = await wait_for_images(
        page, _wanted(INCEPTION), old=old, seconds=PAGE_SECONDS
    )
    await _expect_served(client, images, INCEPTION)
    reloaded = await page.evaluate("() => window.__simklMarker") != marker
    await page.screenshot(path=tmp_path / "dashboard-switched.png")
    assert not reloaded, "the page was reloaded to show the new item"


def _wanted(item: Item) -> dict[str, str]:
    """Return the image roles on the dashboard and a part of each one's src."""
    return {
        # The picture-entity and picture-elements cards: the image proxy.
        "poster": f"/api/image_proxy/{IDS['poster']}?",
        "fanart": f"/api/image_proxy/{IDS['fanart']}?",
        # The tile card: the sensor's entity picture, the poster's own URL.
        "thumbnail": f"/posters/{item.poster}_",
    }


async def _expect_title(page: Page, item: Item) -> None:
    """Expect each card to show the item's title."""
    timeout = PAGE_SECONDS * 1000
    await expect(
        page.locator("hui-picture-elements-card hui-state-label-element")
    ).to_have_text(item.title, timeout=timeout)
    await expect(
        page.locator("hui-markdown-card").get_by_role("heading", name=item.title)
    ).to_be_visible(timeout=timeout)
    await expect(page.locator("hui-tile-card")).to_contain_text(
        item.title, timeout=timeout
    )
    await expect(page.get_by_text(item.title, exact=True).first).to_be_visible(
        timeout=timeout
    )


async def _expect_served(
    client: HomeAssistantClient, images: Mapping[str, PageImage], item: Item
) -> None:
    """Expect each image's src to serve the item's JPG from the stand-in."""
    expected = {
        "poster": image_bytes("posters", item.poster or ""),
        "fanart": image_bytes("fanart", item.fanart or ""),
        "thumbnail": image_bytes("posters", item.poster or ""),
    }
    for role, image in images.items():
        # The src carries its own access token: no Authorization header.
        async with client.session.get(image.src) as response:
            body = await response.read()
            assert response.status == 200, f"{role} {image.src}: {response.status}"
        assert body == expected[role], f"{role} {image.src} is not {item.title}'s"


async def _save_failure(page: Page, path: Path) -> None:
    """Save what the page shows when the test fails, if the page still answers."""
    try:
        await page.screenshot(path=path)
    except PlaywrightError as err:
        warnings.warn(f"no failure screenshot: {err}", stacklevel=1)


def _changed_share(new: Path, old: Path) -> float:
    """Return the share of pixels that differ between two screenshots."""
    with Image.open(new) as first, Image.open(old) as second:
        if first.size != second.size:
            return 1.0
        diff = ImageChops.difference(first.convert("RGB"), second.convert("RGB"))
        unchanged: int = diff.convert("L").histogram()[0]
        pixels: int = first.width * first.height
    return 1 - unchanged / pixels


def _refresh_readme_screenshot(taken: Path) -> None:
    """Write docs/dashboard.png when asked; warn when it no longer matches."""
    if os.environ.get(UPDATE_SCREENSHOT_ENV) == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(taken, SCREENSHOT)
        return
    if not SCREENSHOT.exists():
        pytest.fail(
            f"{SCREENSHOT} is missing but the README shows it; this run's "
            f"screenshot is {taken}; write it with {UPDATE_SCREENSHOT_ENV}=1"
        )
    if changed := _changed_share(taken, SCREENSHOT):
        warnings.warn(
            ScreenshotChangedWarning(
                f"{changed:.2%} of the pixels of {SCREENSHOT} differ from this "
                f"run's screenshot {taken}; if the change is wanted, run again "
                f"with {UPDATE_SCREENSHOT_ENV}=1 and commit it"
            ),
            stacklevel=1,
        )
