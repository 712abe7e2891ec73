"""Check quality_scale.yaml: every rule answered, and its claims hold."""

from __future__ import annotations

import ast
from functools import cache
import importlib
import importlib.metadata
import json
from pathlib import Path
import re
import sys
from typing import Any
from unittest.mock import MagicMock

from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.typing import UNDEFINED
import pytest
import yaml

from custom_components.simkl import PLATFORMS
from custom_components.simkl.config_flow import SimklConfigFlow
from custom_components.simkl.entity import SimklEntity
from custom_components.simkl.event import WATCHED
from custom_components.simkl.image import IMAGES
from custom_components.simkl.sensor import RECENTLY_WATCHED

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / "simkl"
DESCRIPTIONS: tuple[tuple[str, EntityDescription], ...] = (
    ("sensor", RECENTLY_WATCHED),
    ("event", WATCHED),
    *(("image", description) for description in IMAGES),
)

# The rules of the Integration Quality Scale, as listed by Home Assistant's
# hassfest (script/hassfest/quality_scale.py).
RULES = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow",
        "config-flow-test-coverage",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery",
        "discovery-update-info",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
ALL_RULES = [rule for tier in RULES.values() for rule in tier]

# The README section each documentation rule points to.
README_SECTIONS = {
    "docs-installation-instructions": "## Installation",
    "docs-installation-parameters": "## Configuration",
    "docs-configuration-parameters": "### Options",
    "docs-data-update": "## Data updates",
    "docs-supported-functions": "## Entities",
    "docs-examples": "## Use cases",
    "docs-use-cases": "## Use cases",
    "docs-known-limitations": "## Known limitations",
    "docs-troubleshooting": "## Troubleshooting",
    "docs-removal-instructions": "## Removal",
}
DISCOVERY_KEYS = ("bluetooth", "dhcp", "homekit", "mqtt", "ssdp", "usb", "zeroconf")


@cache
def _rules() -> dict[str, Any]:
    """Return the rules of quality_scale.yaml."""
    data = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text("utf-8"))
    rules: dict[str, Any] = data["rules"]
    return rules


def _status(rule: str) -> str:
    """Return the status a rule is given."""
    status: str = _rules()[rule]["status"]
    return status


def _json(name: str) -> Any:
    """Return a JSON file of the integration."""
    return json.loads((PACKAGE / name).read_text("utf-8"))


def _third_party_imports(path: Path) -> set[str]:
    """Return the top-level names a module imports from outside stdlib and itself."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names - sys.stdlib_module_names


def _requirement_names(distribution: str) -> set[str]:
    """Return the names of the packages a distribution requires."""
    return {
        re.split(r"[ <>=!;\[~]", requirement, maxsplit=1)[0].lower()
        for requirement in importlib.metadata.requires(distribution) or []
    }


def test_every_rule_is_listed() -> None:
    """Test the file answers exactly the rules of the quality scale."""
    assert sorted(_rules()) == sorted(ALL_RULES)


@pytest.mark.parametrize("rule", ALL_RULES)
def test_rule_is_done_or_exempt_with_a_reason(rule: str) -> None:
    """Test each rule is done or exempt, and says why in a comment."""
    entry = _rules()[rule]
    assert isinstance(entry, dict)
    assert entry["status"] in ("done", "exempt")
    assert isinstance(entry.get("comment"), str)
    assert len(entry["comment"].split()) >= 5


def test_strict_typing() -> None:
    """Test the package is marked as typed."""
    assert _status("strict-typing") == "done"
    assert (PACKAGE / "py.typed").is_file()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_parallel_updates(platform: str) -> None:
    """Test every platform module sets PARALLEL_UPDATES to 0."""
    assert _status("parallel-updates") == "done"
    module = importlib.import_module(f"custom_components.simkl.{platform}")
    assert module.PARALLEL_UPDATES == 0


def test_exception_translations() -> None:
    """Test every translated exception the integration raises has a message."""
    assert _status("exception-translations") == "done"
    messages = _json("strings.json")["exceptions"]
    raised: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id.endswith(("Failed", "NotReady", "Error"))
            ):
                raised.update(
                    keyword.value.value
                    for keyword in node.keywords
                    if keyword.arg == "translation_key"
                    and isinstance(keyword.value, ast.Constant)
                )
    assert raised
    assert raised <= set(messages)
    assert all(messages[key]["message"] for key in raised)


@pytest.mark.parametrize(("platform", "description"), DESCRIPTIONS)
def test_icon_and_entity_translations(
    platform: str, description: EntityDescription
) -> None:
    """Test every entity has a translated name and an icon by translation key."""
    assert _status("entity-translations") == "done"
    assert _status("icon-translations") == "done"
    key = description.translation_key
    assert key is not None
    assert _json("strings.json")["entity"][platform][key]["name"]
    assert _json("icons.json")["entity"][platform][key]["default"].startswith("mdi:")


@pytest.mark.parametrize(("platform", "description"), DESCRIPTIONS)
def test_entity_exemptions_hold(platform: str, description: EntityDescription) -> None:
    """Test no entity has a category or device class or starts disabled."""
    for rule in (
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
    ):
        assert _status(rule) == "exempt"
    assert description.entity_category is None
    assert description.device_class is None
    assert description.entity_registry_enabled_default


def test_has_entity_name() -> None:
    """Test the base entity names entities by translation key."""
    assert _status("has-entity-name") == "done"
    coordinator = MagicMock(user_id=51)
    for _, description in DESCRIPTIONS:
        assert SimklEntity(coordinator, description).has_entity_name is True
        assert description.name is UNDEFINED


def test_diagnostics() -> None:
    """Test the integration has a diagnostics module for config entries."""
    assert _status("diagnostics") == "done"
    module = importlib.import_module("custom_components.simkl.diagnostics")
    assert callable(module.async_get_config_entry_diagnostics)


def test_brands() -> None:
    """Test the brand images ship with the integration."""
    assert _status("brands") == "done"
    assert (PACKAGE / "brand" / "icon.png").is_file()
    assert (PACKAGE / "brand" / "logo.png").is_file()


def test_dependency_transparency() -> None:
    """Test nothing is installed for the integration beyond Home Assistant."""
    assert _status("dependency-transparency") == "done"
    assert _status("async-dependency") == "done"
    assert _json("manifest.json")["requirements"] == []
    shipped = _requirement_names("homeassistant") | _requirement_names("aiohttp")
    for path in (PACKAGE / "api").glob("*.py"):
        imported = _third_party_imports(path)
        assert "homeassistant" not in imported, path.name
        assert imported <= shipped, path.name


def test_integration_owner() -> None:
    """Test the manifest names a code owner."""
    assert _status("integration-owner") == "done"
    assert _json("manifest.json")["codeowners"]


def test_flows() -> None:
    """Test the config flow has reauthentication and reconfiguration steps."""
    assert _status("reauthentication-flow") == "done"
    assert _status("reconfiguration-flow") == "done"
    steps_defined = vars(SimklConfigFlow)
    for step in ("reauth", "reauth_confirm", "reconfigure"):
        assert f"async_step_{step}" in steps_defined
    steps = _json("strings.json")["config"]["step"]
    assert {"user", "reauth_confirm", "reconfigure"} <= set(steps)


def test_repair_issues() -> None:
    """Test the repair issue the integration raises has its texts."""
    assert _status("repair-issues") == "done"
    issue = _json("strings.json")["issues"]["profile_not_found"]
    assert issue["title"]
    assert issue["description"]


def test_no_actions() -> None:
    """Test the integration registers no service actions, as its exemptions say."""
    for rule in ("action-setup", "action-exceptions", "docs-actions"):
        assert _status(rule) == "exempt"
    assert not (PACKAGE / "services.yaml").exists()
    for path in PACKAGE.rglob("*.py"):
        assert "services.async_register" not in path.read_text("utf-8"), path.name


def test_no_discovery() -> None:
    """Test the manifest declares no discovery, as its exemptions say."""
    assert _status("discovery") == "exempt"
    assert _status("discovery-update-info") == "exempt"
    manifest = _json("manifest.json")
    assert manifest["iot_class"] == "cloud_polling"
    assert not set(DISCOVERY_KEYS) & set(manifest)


@pytest.mark.parametrize(("rule", "heading"), README_SECTIONS.items())
def test_documentation_rule_has_its_readme_section(rule: str, heading: str) -> None:
    """Test each documentation rule marked done points to a README section."""
    assert _status(rule) == "done"
    assert heading in (ROOT / "README.md").read_text("utf-8").splitlines()
