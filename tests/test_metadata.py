"""Validate hacs.json, the manifest and the translations as HACS and hassfest do."""

from __future__ import annotations

from functools import cache
import json
from pathlib import Path
import re
from typing import Any
from urllib.parse import urlparse

from awesomeversion import (
    AwesomeVersion,
    AwesomeVersionException,
    AwesomeVersionStrategy,
)
import homeassistant
from homeassistant.const import __version__ as ha_version
from packaging.requirements import InvalidRequirement, Requirement
import pytest

DOMAIN = "simkl"
ROOT = Path(__file__).parent.parent
CUSTOM_COMPONENTS = ROOT / "custom_components"
INTEGRATION = CUSTOM_COMPONENTS / DOMAIN
TRANSLATIONS = INTEGRATION / "translations"
HA_PACKAGE = Path(homeassistant.__file__).parent

# hacs.json keys and their types, as the HACS action's schema accepts them.
HACS_KEYS: dict[str, type | tuple[type, ...]] = {
    "content_in_root": bool,
    "country": (str, list),
    "filename": str,
    "hacs": str,
    "hide_default_branch": bool,
    "homeassistant": str,
    "name": str,
    "persistent_directory": str,
    "render_readme": bool,
    "zip_release": bool,
}
MINIMUM_HOMEASSISTANT = AwesomeVersion("2025.4.0")

# Keys hassfest accepts in a custom integration's manifest.
MANIFEST_KEYS = {
    "after_dependencies",
    "bluetooth",
    "codeowners",
    "config_flow",
    "dependencies",
    "dhcp",
    "disabled",
    "documentation",
    "domain",
    "homekit",
    "import_executor",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "loggers",
    "mqtt",
    "name",
    "quality_scale",
    "requirements",
    "single_config_entry",
    "ssdp",
    "usb",
    "version",
    "zeroconf",
}
MANIFEST_REQUIRED = {
    "domain",
    "name",
    "codeowners",
    "config_flow",
    "documentation",
    "integration_type",
    "iot_class",
    "issue_tracker",
    "requirements",
    "version",
}
MANIFEST_EXPECTED = {
    "domain": DOMAIN,
    "config_flow": True,
    "integration_type": "service",
    "iot_class": "cloud_polling",
}
QUALITY_SCALES = {
    "bronze",
    "silver",
    "gold",
    "platinum",
    "custom",
    "no_score",
    "internal",
    "legacy",
}
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]

# Top-level sections hassfest accepts in strings.json.
STRINGS_SECTIONS = {
    "application_credentials",
    "common",
    "config",
    "config_panel",
    "conversation",
    "device",
    "device_automation",
    "entity",
    "entity_component",
    "exceptions",
    "issues",
    "options",
    "selector",
    "services",
    "system_health",
    "title",
}
REFERENCE = re.compile(r"\[%key:([a-z0-9_]+(?:::[a-z0-9_-]+)+)%\]")
COMBINED_REFERENCE = re.compile(r"(.+\[%)|(%\].+)")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ANY_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# Entity states, attribute names and units are shown without placeholders.
NO_PLACEHOLDER_PATH = re.compile(
    r"^entity\.[^.]+\.[^.]+\.(state\.|state_attributes\.|unit_of_measurement$)"
)
QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")
HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
URL = re.compile(r"https?://")
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
SLUG = re.compile(r"^(?!.*__)(?!_)[a-z0-9_]+(?<!_)$")


def _load(path: Path) -> Any:
    """Return the parsed JSON file, failing the test when it is absent or broken."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        pytest.fail(f"{path.relative_to(ROOT)}: {err}", pytrace=False)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return the leaves of a nested dict keyed by their dotted path."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, path))
        else:
            flat[path] = value
    return flat


def _languages() -> list[str]:
    """Return the translation languages other than English."""
    if not TRANSLATIONS.is_dir():
        return []
    return sorted(
        path.stem for path in TRANSLATIONS.glob("*.json") if path.stem != "en"
    )


def _tree_difference(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """Describe the keys actual lacks and the keys it has beyond expected."""
    missing = sorted(set(_flatten(expected)) - set(_flatten(actual)))
    extra = sorted(set(_flatten(actual)) - set(_flatten(expected)))
    return f"missing keys: {missing}; extra keys: {extra}"


@cache
def _component_strings(domain: str) -> dict[str, Any]:
    """Return the strings.json of a Home Assistant core integration."""
    path = HA_PACKAGE / "components" / domain / "strings.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@cache
def _core_strings() -> dict[str, Any]:
    """Return Home Assistant's own strings.json, which holds the common keys."""
    path = HA_PACKAGE / "strings.json"
    if not path.is_file():
        pytest.fail(
            f"{path} is missing; common [%key:...%] cannot be resolved", pytrace=False
        )
    strings: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return strings


def _lookup(key: str, own: dict[str, Any]) -> str:
    """Return the text a reference key names, resolving nested references."""
    parts = key.split("::")
    if parts[0] == "common":
        node: Any = _core_strings()
    elif parts[0] == "component" and len(parts) > 2:
        node = own if parts[1] == DOMAIN else _component_strings(parts[1])
        parts = parts[2:]
    else:
        raise KeyError(key)
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            raise KeyError(key)
        node = node[part]
    if not isinstance(node, str):
        raise KeyError(key)
    return _resolve_text(node, own)


def _resolve_text(text: str, own: dict[str, Any]) -> str:
    """Replace every [%key:...%] reference in text with the text it names."""
    return REFERENCE.sub(lambda match: _lookup(match.group(1), own), text)


def _resolve(tree: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """Return tree with every reference resolved, as the translation build does."""
    return {
        key: _resolve(value, own)
        if isinstance(value, dict)
        else _resolve_text(value, own)
        if isinstance(value, str)
        else value
        for key, value in tree.items()
    }


def _text_problems(path: str, text: Any) -> list[str]:
    """Return hassfest's objections to one translation value."""
    if not isinstance(text, str):
        return [f"{path}: not a string ({text!r})"]
    placeholders = ANY_PLACEHOLDER.findall(text)
    checks = (
        (not text.strip(), "is empty"),
        (text != text.strip(), "has leading or trailing whitespace"),
        (bool(HTML.search(text)), "contains HTML"),
        (bool(URL.search(text)), "contains a URL; use a description placeholder"),
        (bool(QUOTED_PLACEHOLDER.search(text)), "quotes a placeholder"),
        (bool(COMBINED_REFERENCE.search(text)), "combines a reference with text"),
        (
            any(not IDENTIFIER.fullmatch(name) for name in placeholders),
            f"has placeholders that are not identifiers: {placeholders}",
        ),
        (
            bool(placeholders and NO_PLACEHOLDER_PATH.match(path)),
            "has a placeholder where Home Assistant does not fill one",
        ),
    )
    return [f"{path}: {message}" for failed, message in checks if failed]


def _key_problems(strings: dict[str, Any]) -> list[str]:
    """Return the keys hassfest rejects as translation keys or slugs."""
    keys: list[tuple[str, str]] = []
    for platform, entities in strings.get("entity", {}).items():
        for key, entity in entities.items():
            keys.append((f"entity.{platform}", key))
            keys += [
                (f"entity.{platform}.{key}.state", s) for s in entity.get("state", {})
            ]
            for name, attribute in entity.get("state_attributes", {}).items():
                keys.append((f"entity.{platform}.{key}.state_attributes", name))
                keys += [
                    (f"entity.{platform}.{key}.state_attributes.{name}.state", state)
                    for state in attribute.get("state", {})
                ]
    for name, selector in strings.get("selector", {}).items():
        keys += [
            (f"selector.{name}.options", key) for key in selector.get("options", {})
        ]
    keys += [
        ("system_health.info", key)
        for key in strings.get("system_health", {}).get("info", {})
    ]
    problems = [
        f"{path}.{key}: not a translation key (a-z, 0-9, - and _, which may not "
        "start, end or repeat)"
        for path, key in keys
        if not TRANSLATION_KEY.match(key)
    ]
    problems += [
        f"exceptions.{key}: not a slug"
        for key in strings.get("exceptions", {})
        if not SLUG.match(key)
    ]
    return problems


def test_repository_layout() -> None:
    """Require one integration, a README, a LICENSE and hacs.json at the root."""
    integrations = sorted(
        path.name
        for path in CUSTOM_COMPONENTS.iterdir()
        if path.is_dir() and not path.name.startswith((".", "__"))
    )
    assert integrations == [DOMAIN], f"custom_components/ holds {integrations}"
    for name in ("README.md", "LICENSE", "hacs.json"):
        assert (ROOT / name).is_file(), f"{name} is missing at the repository root"
    assert (INTEGRATION / "__init__.py").is_file()


def test_hacs_json() -> None:
    """Validate hacs.json against the keys and types HACS accepts."""
    hacs = _load(ROOT / "hacs.json")
    assert isinstance(hacs, dict)
    unknown = sorted(set(hacs) - set(HACS_KEYS))
    assert not unknown, f"hacs.json keys HACS rejects: {unknown}"
    wrong_type = sorted(
        key for key, value in hacs.items() if not isinstance(value, HACS_KEYS[key])
    )
    assert not wrong_type, f"hacs.json keys of the wrong type: {wrong_type}"
    assert hacs.get("name", "").strip(), "hacs.json needs a name"
    assert not hacs.get("content_in_root", False), "the integration is not in root"
    if hacs.get("zip_release"):
        assert hacs.get("filename"), "zip_release needs a filename"
    countries = hacs.get("country", [])
    for country in [countries] if isinstance(countries, str) else countries:
        assert re.fullmatch(r"[A-Za-z]{2}", country), f"bad country code {country}"


def test_hacs_minimum_homeassistant() -> None:
    """Require a valid minimum version between 2025.4.0 and the tested one."""
    hacs = _load(ROOT / "hacs.json")
    assert "homeassistant" in hacs, "hacs.json needs a homeassistant minimum"
    try:
        minimum = AwesomeVersion(
            hacs["homeassistant"], ensure_strategy=VERSION_STRATEGIES
        )
    except AwesomeVersionException as err:
        pytest.fail(f"hacs.json homeassistant is not a version: {err}", pytrace=False)
    assert minimum >= MINIMUM_HOMEASSISTANT, f"{minimum} < {MINIMUM_HOMEASSISTANT}"
    assert minimum <= AwesomeVersion(ha_version), f"{minimum} > tested {ha_version}"


def test_manifest_key_order() -> None:
    """Require domain, name, then the other keys alphabetically, like hassfest."""
    keys = list(_load(INTEGRATION / "manifest.json"))
    head = [key for key in ("domain", "name") if key in keys]
    expected = head + sorted(key for key in keys if key not in head)
    assert keys == expected, f"manifest key order {keys}, expected {expected}"


def test_manifest_keys() -> None:
    """Require every key this integration needs and nothing hassfest rejects."""
    manifest = _load(INTEGRATION / "manifest.json")
    missing = sorted(MANIFEST_REQUIRED - set(manifest))
    assert not missing, f"manifest lacks {missing}"
    unknown = sorted(set(manifest) - MANIFEST_KEYS)
    assert not unknown, f"manifest keys hassfest rejects: {unknown}"
    for key, expected in MANIFEST_EXPECTED.items():
        assert manifest[key] == expected, f"manifest {key} is {manifest[key]!r}"
    assert manifest["domain"] == INTEGRATION.name, "domain must match the folder"
    assert isinstance(manifest["name"], str)
    assert manifest["name"].strip()
    if "quality_scale" in manifest:
        assert manifest["quality_scale"] in QUALITY_SCALES


def test_manifest_version() -> None:
    """Require a version Home Assistant's loader accepts for custom integrations."""
    version = _load(INTEGRATION / "manifest.json").get("version")
    assert isinstance(version, str), "manifest version must be a string"
    try:
        AwesomeVersion(version, ensure_strategy=VERSION_STRATEGIES)
    except AwesomeVersionException as err:
        pytest.fail(f"manifest version {version!r} is not valid: {err}", pytrace=False)


def test_manifest_people_and_links() -> None:
    """Require GitHub code owners and https documentation and issue links."""
    manifest = _load(INTEGRATION / "manifest.json")
    owners = manifest["codeowners"]
    assert isinstance(owners, list)
    assert owners, "manifest needs at least one code owner"
    bad_owners = [owner for owner in owners if not re.fullmatch(r"@[\w./-]+", owner)]
    assert not bad_owners, f"code owners must be GitHub handles: {bad_owners}"
    for key in ("documentation", "issue_tracker"):
        url = urlparse(manifest[key])
        assert url.scheme == "https", f"manifest {key} must be an https URL"
        assert url.netloc, f"manifest {key} has no host"
    assert not manifest["documentation"].startswith(
        "https://www.home-assistant.io/integrations"
    ), "documentation must point to this integration's own pages"


def test_manifest_requirements() -> None:
    """Require valid PEP 508 requirements and lists of names for dependencies."""
    manifest = _load(INTEGRATION / "manifest.json")
    assert isinstance(manifest["requirements"], list)
    for line in manifest["requirements"]:
        try:
            Requirement(line)
        except (InvalidRequirement, TypeError) as err:
            pytest.fail(
                f"manifest requirement {line!r} is invalid: {err}", pytrace=False
            )
    for key in ("dependencies", "after_dependencies", "loggers"):
        names = manifest.get(key, [])
        assert isinstance(names, list), f"manifest {key} must be a list"
        assert all(isinstance(name, str) for name in names), f"manifest {key}"


def test_strings_schema() -> None:
    """Validate strings.json's sections, keys and texts as hassfest does."""
    strings = _load(INTEGRATION / "strings.json")
    problems = [
        f"{section}: not a section hassfest accepts"
        for section in sorted(set(strings) - STRINGS_SECTIONS)
    ]
    problems += [
        problem
        for path, text in _flatten(strings).items()
        for problem in _text_problems(path, text)
    ]
    problems += _key_problems(strings)
    for flow in ("config", "options"):
        for step_id, step in strings.get(flow, {}).get("step", {}).items():
            orphans = sorted(
                set(step.get("data_description", {})) - set(step.get("data", {}))
            )
            if orphans:
                problems.append(f"{flow}.step.{step_id}: data_description {orphans}")
    assert not problems, "\n".join(problems)


def test_english_matches_strings() -> None:
    """Require translations/en.json to be strings.json with references resolved."""
    strings = _load(INTEGRATION / "strings.json")
    english = _load(TRANSLATIONS / "en.json")
    try:
        expected = _resolve(strings, strings)
    except KeyError as err:
        pytest.fail(f"strings.json references an unknown key: {err}", pytrace=False)
    assert set(_flatten(expected)) == set(_flatten(english)), (
        f"en.json {_tree_difference(expected, english)}"
    )
    english_flat = _flatten(english)
    differing = [
        f"{path}: en.json has {english_flat[path]!r}, expected {text!r}"
        for path, text in _flatten(expected).items()
        if english_flat[path] != text
    ]
    assert not differing, "\n".join(differing)


@pytest.mark.parametrize("language", ["en", *_languages()])
def test_translation_texts(language: str) -> None:
    """Require resolved, well-formed texts in every translation file."""
    translation = _load(TRANSLATIONS / f"{language}.json")
    problems = [
        problem
        for path, text in _flatten(translation).items()
        for problem in _text_problems(path, text)
    ]
    problems += [
        f"{path}: unresolved reference; Home Assistant does not resolve it at run time"
        for path, text in _flatten(translation).items()
        if isinstance(text, str) and "[%key:" in text
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", _languages())
def test_translation_keys_match_english(language: str) -> None:
    """Require each translation to carry exactly the English key tree."""
    english = _load(TRANSLATIONS / "en.json")
    translation = _load(TRANSLATIONS / f"{language}.json")
    assert set(_flatten(translation)) == set(_flatten(english)), (
        f"{language}.json {_tree_difference(english, translation)}"
    )


@pytest.mark.parametrize("language", _languages())
def test_translation_placeholders_match_english(language: str) -> None:
    """Require each translated text to use the English text's placeholders."""
    english = _flatten(_load(TRANSLATIONS / "en.json"))
    translation = _flatten(_load(TRANSLATIONS / f"{language}.json"))
    mismatched = [
        f"{path}: {sorted(PLACEHOLDER.findall(text))} "
        f"!= English {sorted(PLACEHOLDER.findall(english[path]))}"
        for path, text in translation.items()
        if path in english
        and isinstance(text, str)
        and isinstance(english[path], str)
        and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(english[path]))
    ]
    assert not mismatched, f"{language}.json placeholders differ:\n" + "\n".join(
        mismatched
    )


def test_icons_reference_translations() -> None:
    """Require icons.json to use mdi icons for entities and services that exist."""
    if not (INTEGRATION / "icons.json").is_file():
        pytest.skip("no icons.json")
    icons = _load(INTEGRATION / "icons.json")
    strings = _load(INTEGRATION / "strings.json")
    problems = [
        f"{path}: {icon!r} is not an mdi: icon"
        for path, icon in _flatten(icons).items()
        if not (isinstance(icon, str) and icon.startswith("mdi:"))
    ]
    for platform, entities in icons.get("entity", {}).items():
        known = strings.get("entity", {}).get(platform, {})
        problems += [
            f"entity.{platform}.{key}: no such translation key in strings.json"
            for key in entities
            if key not in known
        ]
    known_services = strings.get("services", {})
    problems += [
        f"services.{service}: no such service in strings.json"
        for service in icons.get("services", {})
        if service not in known_services
    ]
    assert not problems, "\n".join(problems)
