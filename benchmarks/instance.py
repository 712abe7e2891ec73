"""The benchmark's Home Assistant: its configuration and the three setups.

(A) is this integration; (B) and (C) are what users hand-roll today: a ``rest``
sensor reading the endpoint and two ``generic`` cameras (poster and fanart)
whose still image URLs are templates of the sensor's attributes, with the
cameras' defaults in (B) and "limit refetch to URL change" on in (C).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
import time
from typing import Any

from tests.e2e.harness import (
    ONLINE_ONBOARDING_DOMAINS,
    HarnessError,
    HomeAssistantClient,
    entity_ids,
    write_configuration,
)

CLIENT_ID = "benchmark-client-id"
USER_ID = 51
REST_APP_NAME = "ha-rest-sensor"
# Integrations that onboarding sets up on its own; they only add noise here.
ONBOARDING_DOMAINS = (*ONLINE_ONBOARDING_DOMAINS, "met", "shopping_list")
# The frontend is critical: without it Home Assistant starts in recovery mode.
INTEGRATIONS = ("frontend",)
# libturbojpeg is an optional system library; without it the camera component
# logs that snapshots are slower, which has no bearing on these figures.
EXTRA_LOGS = {"homeassistant.components.camera.img_util": "critical"}
IMAGE_FOLDERS = {"poster": "posters", "fanart": "fanart"}


@dataclass(frozen=True, kw_only=True)
class Setup:
    """One of the compared setups and the stand-in it talks to."""

    key: str
    label: str
    sensor: str
    images: tuple[str, ...]
    limit_refetch: bool = False

    @property
    def is_ours(self) -> bool:
        """Return whether this is the Simkl integration."""
        return self.key == "A"


def setups() -> tuple[Setup, Setup, Setup]:
    """Return the three setups, ours first."""
    ours = entity_ids(USER_ID)
    return (
        Setup(
            key="A",
            label="Simkl integration",
            sensor=ours["sensor"],
            images=(ours["poster"], ours["fanart"]),
        ),
        Setup(
            key="B",
            label="rest + generic camera, defaults",
            sensor="sensor.simkl_b",
            images=("camera.simkl_b_poster", "camera.simkl_b_fanart"),
        ),
        Setup(
            key="C",
            label="rest + generic camera, limit refetch to URL change",
            sensor="sensor.simkl_c",
            images=("camera.simkl_c_poster", "camera.simkl_c_fanart"),
            limit_refetch=True,
        ),
    )


def rest_sensor_yaml(setup: Setup, standin_url: str, interval: int) -> str:
    """Return the YAML of a hand-rolled rest sensor for the endpoint."""
    name = setup.sensor.removeprefix("sensor.")
    return f"""\
  - platform: rest
    name: {name}
    unique_id: {name}
    resource: {standin_url}/users/recently-watched-background/{USER_ID}
    params:
      app-name: {REST_APP_NAME}
      app-version: "1.0"
    headers:
      simkl-api-key: {CLIENT_ID}
    value_template: "{{{{ value_json.title }}}}"
    json_attributes:
      - title
      - poster
      - fanart
    scan_interval: {interval}
"""


def still_image_template(setup: Setup, standin_url: str, role: str) -> str:
    """Return the generic camera's still image URL template for poster or fanart."""
    return (
        f"{{{{ '{standin_url}/{IMAGE_FOLDERS[role]}/' ~ "
        f"state_attr('{setup.sensor}', '{role}') ~ '_0.jpg' }}}}"
    )


def write_main_configuration(
    config_dir: Path, *, port: int, rest: Iterable[tuple[Setup, str]], interval: int
) -> None:
    """Write configuration.yaml: the frontend and the rest sensors of (B) and (C)."""
    path = write_configuration(
        config_dir,
        port=port,
        integrations=INTEGRATIONS,
        comment="Benchmark instance written by benchmarks/run.",
        extra_logs=EXTRA_LOGS,
    )
    sensors = "".join(rest_sensor_yaml(setup, url, interval) for setup, url in rest)
    with path.open("a", encoding="utf-8") as file:
        file.write(f"\nsensor:\n{sensors}")


class Api:
    """REST and websocket calls the harness's client does not have."""

    def __init__(self, client: HomeAssistantClient) -> None:
        """Use the logged-in ``client``."""
        self.client = client

    async def call(self, method: str, path: str, data: Any = None) -> Any:
        """Send an authenticated JSON request; return the decoded answer."""
        async with self.client.session.request(
            method,
            f"{self.client.url}{path}",
            json=data,
            headers={"Authorization": f"Bearer {self.client.token}"},
        ) as response:
            text = await response.text()
            if response.status >= 400:
                raise HarnessError(f"{method} {path}: {response.status} {text}")
            return await response.json(content_type=None)

    async def render(self, template: str) -> str:
        """Render a template in Home Assistant and return the text."""
        async with self.client.session.post(
            f"{self.client.url}/api/template",
            json={"template": template},
            headers={"Authorization": f"Bearer {self.client.token}"},
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise HarnessError(f"template: {response.status} {text}")
            return text

    async def ws(self, command: dict[str, Any]) -> Any:
        """Run one websocket command and return its result."""
        (answer,) = await self.client.websocket(command)
        if not answer["success"]:
            raise HarnessError(f"{command['type']} failed: {answer['error']}")
        return answer["result"]

    async def remove_onboarding_entries(self, seconds: float = 8.0) -> None:
        """Remove the entries onboarding creates, once they have appeared."""
        deadline = time.monotonic() + seconds
        wanted = set(ONBOARDING_DOMAINS)
        while wanted and time.monotonic() < deadline:
            for entry in await self.client.config_entries():
                if entry["domain"] in wanted:
                    await self.call(
                        "DELETE",
                        f"/api/config/config_entries/entry/{entry['entry_id']}",
                    )
                    wanted.discard(entry["domain"])
            await asyncio.sleep(0.5)

    async def entry_id(self, domain: str) -> str:
        """Return the id of the only entry of ``domain``."""
        (entry,) = await self.client.config_entries(domain)
        return str(entry["entry_id"])

    async def set_simkl_interval(self, entry_id: str, minutes: int) -> None:
        """Set the polling interval through the options flow."""
        flow = await self.call(
            "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
        )
        result = await self.call(
            "POST",
            f"/api/config/config_entries/options/flow/{flow['flow_id']}",
            {"scan_interval": minutes, "poster_size": "full", "fanart_size": "full"},
        )
        if result.get("type") != "create_entry":
            raise HarnessError(f"Simkl options flow: {result}")

    async def add_generic_camera(
        self, still_image_url: str, entity_id: str, *, limit_refetch: bool
    ) -> None:
        """Add a generic camera through its config flow, as the UI does.

        The flow fetches the still image once, then shows a preview to
        confirm; "limit refetch to URL change" exists only in the options flow.
        """
        fields = {
            "still_image_url": still_image_url,
            "stream_source": "",
            "authentication": "basic",
            "framerate": 2,
            "verify_ssl": False,
        }
        flow = await self.call(
            "POST",
            "/api/config/config_entries/flow",
            {"handler": "generic", "show_advanced_options": True},
        )
        entry = await self._confirm(
            "/api/config/config_entries/flow", flow["flow_id"], fields
        )
        entry_id = entry["result"]["entry_id"]
        if limit_refetch:
            flow = await self.call(
                "POST", "/api/config/config_entries/options/flow", {"handler": entry_id}
            )
            await self._confirm(
                "/api/config/config_entries/options/flow",
                flow["flow_id"],
                {**fields, "limit_refetch_to_url_change": True},
            )
        registry = await self.ws({"type": "config/entity_registry/list"})
        (current,) = (
            item["entity_id"]
            for item in registry
            if item["config_entry_id"] == entry_id
        )
        await self.ws(
            {
                "type": "config/entity_registry/update",
                "entity_id": current,
                "new_entity_id": entity_id,
            }
        )

    async def _confirm(
        self, base: str, flow_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """Send a generic camera flow's form, then confirm its still preview."""
        result = await self.call("POST", f"{base}/{flow_id}", fields)
        if result.get("step_id") != "user_confirm":
            raise HarnessError(f"generic camera flow: {result}")
        result = await self.call("POST", f"{base}/{flow_id}", {"confirmed_ok": True})
        if result.get("type") != "create_entry":
            raise HarnessError(f"generic camera flow did not finish: {result}")
        return dict(result)

    async def update_entities(self, entity_ids_: Iterable[str]) -> None:
        """Ask entities to poll now (homeassistant.update_entity)."""
        await self.call(
            "POST",
            "/api/services/homeassistant/update_entity",
            {"entity_id": list(entity_ids_)},
        )

    async def setup_seconds(self) -> dict[str, float]:
        """Return how long Home Assistant took to set up each integration."""
        return {
            item["domain"]: float(item["seconds"])
            for item in await self.ws({"type": "integration/setup_info"})
        }
