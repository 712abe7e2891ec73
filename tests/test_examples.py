"""Check the README examples, the example files and the blueprint in Home Assistant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import copy
from pathlib import Path
import re
import shutil
from typing import Any
from unittest.mock import MagicMock
from urllib.parse import quote

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import (
    AUTOMATION_BLUEPRINT_SCHEMA,
    async_validate_config,
)
from homeassistant.components.blueprint.errors import BlueprintException
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.template import Template
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)

from custom_components.simkl.api import SimklConnectionError
from custom_components.simkl.const import DOMAIN

from .conftest import load_item, next_poll

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
EXAMPLES = ROOT / "examples"
CARDS = sorted((EXAMPLES / "cards").glob("*.yaml"))
AUTOMATIONS = sorted((EXAMPLES / "automations").glob("*.yaml"))
BLUEPRINTS = ROOT / "blueprints"
BLUEPRINT_PATH = "simkl/notify_new_watch.yaml"
BLUEPRINT = BLUEPRINTS / "automation" / BLUEPRINT_PATH
SOURCE_URL = (
    "https://github.com/ha-simkl/ha-simkl/blob/main/blueprints/automation/"
    + BLUEPRINT_PATH
)
IMPORT_URL = (
    "https://my.home-assistant.io/redirect/blueprint_import/?blueprint_url="
    + quote(SOURCE_URL, safe="")
)

# README yaml blocks that are configuration snippets, not examples.
CONFIG_SNIPPETS = frozenset(
    {
        "logger:\n  logs:\n    custom_components.simkl: debug\n",
    }
)
YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```$", re.DOTALL | re.MULTILINE)

# Lovelace's own card, picture-elements element and entities row types.
STOCK_CARDS = frozenset(
    {
        "alarm-panel",
        "area",
        "button",
        "calendar",
        "conditional",
        "entities",
        "entity",
        "entity-filter",
        "gauge",
        "glance",
        "grid",
        "heading",
        "history-graph",
        "horizontal-stack",
        "humidifier",
        "iframe",
        "light",
        "logbook",
        "map",
        "markdown",
        "media-control",
        "picture",
        "picture-elements",
        "picture-entity",
        "picture-glance",
        "plant-status",
        "sensor",
        "shopping-list",
        "statistic",
        "statistics-graph",
        "thermostat",
        "tile",
        "todo-list",
        "vertical-stack",
        "weather-forecast",
    }
)
STOCK_ELEMENTS = frozenset(
    {
        "conditional",
        "icon",
        "image",
        "service-button",
        "state-badge",
        "state-icon",
        "state-label",
    }
)
STOCK_ROWS = frozenset(
    {
        "attribute",
        "button",
        "buttons",
        "call-service",
        "cast",
        "conditional",
        "divider",
        "section",
        "simple-entity",
        "text",
        "weblink",
    }
)
# Where a typed object sits decides what it must be.
CHILD_KINDS = {"cards": "card", "card": "card", "elements": "element"}
STOCK_TYPES = {"card": STOCK_CARDS, "element": STOCK_ELEMENTS, "row": STOCK_ROWS}
ENTITY_KEYS = frozenset({"entity", "image_entity", "camera_image"})
ENTITY_ID = re.compile(
    r"\b(?:" + "|".join(sorted(platform.value for platform in Platform)) + r")"
    r"\.[a-z0-9_]+\b"
)

EVENT = "event.simkl_51_watched"
LIGHT = "light.living_room"
NOTIFY_EXAMPLE = EXAMPLES / "automations" / "notify_new_watch.yaml"
DIM_EXAMPLE = EXAMPLES / "automations" / "dim_lights_after_movie.yaml"
BLUEPRINT_INPUTS = {
    "watched_event": EVENT,
    "notify_action": "notify.mobile_app_pixel",
    "message": "{{ title }} ({{ media_type }}) {{ url }}",
}
MOVIE = {
    "title": "Inception",
    "url": "https://simkl.com/movies/53992/inception",
    "poster_url": "https://simkl.net/posters/53/53992posterkey_0.jpg",
}


def _readme_blocks() -> list[str]:
    """Return the text of every yaml block in README.md."""
    return YAML_BLOCK.findall(README.read_text(encoding="utf-8"))


def _example_files() -> dict[str, str]:
    """Return every file under examples/ by its path relative to the root."""
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for path in sorted(EXAMPLES.rglob("*"))
        if path.is_file()
    }


def _blueprint_instance(inputs: dict[str, Any]) -> dict[str, Any]:
    """Return an automation config that uses the blueprint with inputs."""
    return {"use_blueprint": {"path": BLUEPRINT_PATH, "input": inputs}}


def _install_blueprint(hass: HomeAssistant, config_dir: Path) -> None:
    """Point the configuration folder at config_dir and copy the blueprint in."""
    hass.config.config_dir = str(config_dir)
    shutil.copytree(BLUEPRINTS, config_dir / "blueprints")


async def _validate(hass: HomeAssistant, config: dict[str, Any]) -> dict[str, Any]:
    """Validate one automation as Home Assistant does when it loads automations.

    Return the validated config; fail the test with Home Assistant's reason
    when any part (blueprint, schema, triggers, conditions, actions) is invalid.
    """
    result = await _validation_result(hass, config)
    assert result is not None, "Home Assistant dropped the automation as invalid"
    assert result.validation_status == "ok", result.validation_error
    return dict(result)


async def _validation_result(hass: HomeAssistant, config: dict[str, Any]) -> Any:
    """Return Home Assistant's validation result for one automation, or None."""
    validated = await async_validate_config(hass, {"automation": [config]})
    results = validated["automation"]
    return results[0] if results else None


def _typed_objects(node: Any, kind: str) -> Iterator[tuple[str, str]]:
    """Yield (kind, type) for every typed card, element or row in node."""
    if isinstance(node, list):
        for item in node:
            yield from _typed_objects(item, kind)
        return
    if not isinstance(node, dict):
        return
    if "type" in node:
        yield kind, str(node["type"])
    for key, value in node.items():
        if key in CHILD_KINDS:
            yield from _typed_objects(value, CHILD_KINDS[key])
        elif key == "entities" and node.get("type") == "entities":
            yield from _typed_objects(value, "row")
        else:
            yield from _typed_objects(value, "other")


def _entity_ids(node: Any, key: str | None = None) -> Iterator[str]:
    """Yield every entity id a card names, in its options or its templates."""
    if isinstance(node, dict):
        for child_key, value in node.items():
            yield from _entity_ids(value, child_key)
    elif isinstance(node, list):
        for item in node:
            yield from _entity_ids(item, key)
    elif isinstance(node, str):
        if key in ENTITY_KEYS or key == "entities":
            yield node
        else:
            yield from ENTITY_ID.findall(node)


def _keys(node: Any) -> Iterator[str]:
    """Yield every mapping key in node, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


def _strings(node: Any) -> Iterator[str]:
    """Yield every string value in node, at any depth."""
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def _markdown_cards(node: Any) -> Iterator[dict[str, Any]]:
    """Yield every markdown card in node."""
    if isinstance(node, dict):
        if node.get("type") == "markdown":
            yield node
        for value in node.values():
            yield from _markdown_cards(value)
    elif isinstance(node, list):
        for item in node:
            yield from _markdown_cards(item)


def _state(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, f"{entity_id} does not exist"
    return state.state


def test_readme_blocks_are_example_files() -> None:
    """Require each README yaml block to be an example file or a known snippet."""
    files = _example_files()
    blocks = _readme_blocks()
    unmatched = [
        block
        for block in blocks
        if block not in CONFIG_SNIPPETS and block not in files.values()
    ]
    assert not unmatched, (
        "README yaml blocks that match no file under examples/ (copy the block "
        "to its file, or list a configuration snippet in CONFIG_SNIPPETS):\n"
        + "\n---\n".join(unmatched)
    )
    for path, text in files.items():
        assert blocks.count(text) == 1, f"{path} must appear once in README.md"
    stale = [snippet for snippet in CONFIG_SNIPPETS if snippet not in blocks]
    assert not stale, f"CONFIG_SNIPPETS lists blocks README no longer has: {stale}"


def test_examples_present() -> None:
    """Require the three cards and the two automations the README promises."""
    assert [path.name for path in CARDS] == [
        "fanart_background.yaml",
        "now_watching.yaml",
        "user_card.yaml",
    ]
    assert [path.name for path in AUTOMATIONS] == [
        "dim_lights_after_movie.yaml",
        "notify_new_watch.yaml",
    ]


@pytest.mark.parametrize("path", AUTOMATIONS, ids=lambda path: path.stem)
async def test_automation_example_validates(hass: HomeAssistant, path: Path) -> None:
    """Test each automation example passes Home Assistant's validation."""
    validated = await _validate(hass, load_yaml_dict(path))
    assert [trigger["entity_id"] for trigger in validated["triggers"]] == [[EVENT]]
    assert validated["conditions"]
    assert validated["actions"]


def _break_template(config: dict[str, Any]) -> None:
    """Leave a condition template unfinished."""
    config["conditions"][0]["value_template"] = "{{ trigger.to_state.attributes. }}"


def _break_trigger_platform(config: dict[str, Any]) -> None:
    """Name a trigger platform that does not exist."""
    config["triggers"][0]["trigger"] = "simkl_watched"


def _break_trigger_option(config: dict[str, Any]) -> None:
    """Give the state trigger a duration that is not one."""
    config["triggers"][0]["for"] = "after the credits"


def _break_trigger_entity(config: dict[str, Any]) -> None:
    """Give the state trigger something that is not an entity id."""
    config["triggers"][0]["entity_id"] = "Simkl watched"


def _break_condition(config: dict[str, Any]) -> None:
    """Name a condition that does not exist."""
    config["conditions"][0]["condition"] = "watched"


def _break_action(config: dict[str, Any]) -> None:
    """Name an action without its domain."""
    config["actions"][0]["action"] = "turn_on"


@pytest.mark.parametrize(
    ("breaker", "statuses"),
    [
        pytest.param(_break_template, {"failed_schema"}, id="template"),
        pytest.param(
            _break_trigger_platform, {"failed_triggers"}, id="trigger_platform"
        ),
        pytest.param(_break_trigger_option, {"failed_triggers"}, id="trigger_option"),
        pytest.param(_break_trigger_entity, {"failed_triggers"}, id="trigger_entity"),
        # Newer Home Assistant checks conditions in their platforms, like triggers.
        pytest.param(
            _break_condition,
            {"failed_schema", "failed_conditions"},
            id="condition",
        ),
        pytest.param(_break_action, {"failed_schema"}, id="action"),
    ],
)
@pytest.mark.parametrize("path", AUTOMATIONS, ids=lambda path: path.stem)
async def test_broken_automation_is_rejected(
    hass: HomeAssistant,
    path: Path,
    breaker: Callable[[dict[str, Any]], None],
    statuses: set[str],
) -> None:
    """Test the validation used above rejects a broken copy of each example."""
    config = copy.deepcopy(dict(load_yaml_dict(path)))
    breaker(config)
    result = await _validation_result(hass, config)
    assert result is not None, breaker.__doc__
    assert result.validation_status in statuses, result.validation_error


def test_blueprint_schema() -> None:
    """Test the blueprint passes Home Assistant's automation blueprint schema."""
    blueprint = Blueprint(
        load_yaml_dict(BLUEPRINT),
        path=BLUEPRINT_PATH,
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.validate() is None, "this Home Assistant is below min_version"
    assert blueprint.metadata["source_url"] == SOURCE_URL
    assert set(blueprint.inputs) == {
        "watched_event",
        "notify_action",
        "notification_title",
        "message",
    }
    assert blueprint.inputs["watched_event"]["selector"]["entity"]["filter"] == [
        {"integration": DOMAIN, "domain": ["event"]}
    ]
    assert "default" not in blueprint.inputs["watched_event"]
    assert "default" in blueprint.inputs["message"]


def test_blueprint_schema_rejects_broken_blueprint() -> None:
    """Test the schema check above fails for a blueprint that uses a lost input."""
    data = load_yaml_dict(BLUEPRINT)
    del data["blueprint"]["input"]["notify_action"]
    with pytest.raises(BlueprintException, match="notify_action"):
        Blueprint(
            data, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
        )


def test_readme_links_blueprint_import() -> None:
    """Require README's import badge to point at the blueprint's source_url."""
    readme = README.read_text(encoding="utf-8")
    assert f"]({IMPORT_URL})" in readme
    assert (ROOT / SOURCE_URL.split("/blob/main/", 1)[1]).is_file()


async def test_blueprint_instance_validates(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """Test an automation made from the blueprint validates like the example."""
    _install_blueprint(hass, tmp_path)
    validated = await _validate(hass, _blueprint_instance(BLUEPRINT_INPUTS))
    example = await _validate(hass, load_yaml_dict(NOTIFY_EXAMPLE))
    assert validated["triggers"] == example["triggers"]
    assert validated["conditions"] == example["conditions"]
    assert validated["actions"][-1]["action"] == BLUEPRINT_INPUTS["notify_action"]


@pytest.mark.parametrize(
    "inputs",
    [
        {"notify_action": "notify.mobile_app_pixel"},
        BLUEPRINT_INPUTS | {"notify_action": "send a notification"},
        BLUEPRINT_INPUTS | {"watched_event": "the Simkl event"},
        BLUEPRINT_INPUTS | {"message": "{{ title "},
    ],
    ids=["no_event", "bad_action", "bad_entity", "bad_template"],
)
async def test_blueprint_instance_rejects_bad_inputs(
    hass: HomeAssistant, tmp_path: Path, inputs: dict[str, Any]
) -> None:
    """Test automations made from the blueprint with bad inputs are rejected."""
    _install_blueprint(hass, tmp_path)
    result = await _validation_result(hass, _blueprint_instance(inputs))
    assert result is not None
    assert result.validation_status == "failed_blueprint", result.validation_error


async def test_automations_run(
    hass: HomeAssistant,
    tmp_path: Path,
    mock_config_entry: MockConfigEntry,
    mock_simkl: MagicMock,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Test the examples and the blueprint act once per new item, as described."""
    _install_blueprint(hass, tmp_path)
    notify = async_mock_service(hass, "notify", "notify")
    phone = async_mock_service(hass, "notify", "mobile_app_pixel")
    dim = async_mock_service(hass, "light", "turn_on")
    hass.states.async_set(LIGHT, "on")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                load_yaml_dict(NOTIFY_EXAMPLE),
                load_yaml_dict(DIM_EXAMPLE),
                _blueprint_instance(BLUEPRINT_INPUTS),
            ]
        },
    )
    await hass.async_block_till_done()
    assert len(hass.states.async_entity_ids("automation")) == 3
    await next_poll(hass, freezer)
    assert (notify, phone, dim) == ([], [], [])

    mock_simkl.recently_watched.return_value = load_item("recently_watched_movie.json")
    await next_poll(hass, freezer)
    assert [call.data for call in notify] == [
        {
            "title": "Just watched",
            "message": MOVIE["title"],
            "data": {
                "image": MOVIE["poster_url"],
                "url": MOVIE["url"],
                "clickAction": MOVIE["url"],
            },
        }
    ]
    assert [call.data for call in phone] == [
        {
            "title": "Just watched",
            "message": f"{MOVIE['title']} (movie) {MOVIE['url']}",
            "data": {
                "image": MOVIE["poster_url"],
                "url": MOVIE["url"],
                "clickAction": MOVIE["url"],
            },
        }
    ]
    assert [call.data for call in dim] == [
        {"entity_id": [LIGHT], "brightness_pct": 20, "transition": 10}
    ]

    # A reload restores the event entity's state: nothing runs again.
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    await next_poll(hass, freezer)
    assert (len(notify), len(phone), len(dim)) == (1, 1, 1)

    # Neither does an outage that makes the entities unavailable, nor the end of it.
    mock_simkl.recently_watched.side_effect = SimklConnectionError("down")
    for _ in range(5):
        await next_poll(hass, freezer)
    assert _state(hass, EVENT) == STATE_UNAVAILABLE
    mock_simkl.recently_watched.side_effect = None
    await next_poll(hass, freezer)
    assert _state(hass, EVENT) != STATE_UNAVAILABLE
    assert (len(notify), len(phone), len(dim)) == (1, 1, 1)

    # A new episode notifies but does not dim the lights.
    freezer.tick(1)
    mock_simkl.recently_watched.return_value = load_item()
    await next_poll(hass, freezer)
    assert [call.data["message"] for call in notify] == [
        MOVIE["title"],
        "Game of Thrones",
    ]
    assert len(phone) == 2
    assert len(dim) == 1


@pytest.mark.parametrize("path", CARDS, ids=lambda path: path.stem)
async def test_card_uses_stock_cards_and_own_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    path: Path,
) -> None:
    """Test a card parses, uses stock Lovelace types and only our entities."""
    card = load_yaml_dict(path)
    problems = [
        f"{kind} type {card_type!r} is not a stock Lovelace {kind}"
        for kind, card_type in _typed_objects(card, "card")
        if card_type not in STOCK_TYPES.get(kind, frozenset())
    ]
    problems += [
        f"{key!r}: card-mod is not stock Lovelace"
        for key in _keys(card)
        if key == "card_mod"
    ]
    problems += [
        f"{text!r}: custom cards are not stock Lovelace"
        for text in _strings(card)
        if text.startswith("custom:")
    ]
    assert not problems, "\n".join(problems)

    ours = {
        entry.entity_id
        for entry in er.async_entries_for_config_entry(
            entity_registry, init_integration.entry_id
        )
    }
    named = set(_entity_ids(card))
    assert named, "the card shows no Simkl entity"
    assert named <= ours, f"not created for user 51: {sorted(named - ours)}"
    for entity_id in named:
        assert hass.states.get(entity_id) is not None, entity_id


def test_card_walks_see_nested_types_and_templates() -> None:
    """Test the walks above find nested custom types and templated entity ids."""
    card = {
        "type": "vertical-stack",
        "cards": [
            {"type": "custom:button-card"},
            {"type": "picture-elements", "elements": [{"type": "custom:label"}]},
            {"type": "entities", "entities": [{"type": "custom:row"}]},
        ],
    }
    assert list(_typed_objects(card, "card")) == [
        ("card", "vertical-stack"),
        ("card", "custom:button-card"),
        ("card", "picture-elements"),
        ("element", "custom:label"),
        ("card", "entities"),
        ("row", "custom:row"),
    ]
    assert set(_entity_ids({"content": "{{ states('light.kitchen') }}"})) == {
        "light.kitchen"
    }


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "recently_watched_movie.json",
            ["## Inception", "Movie", f"[Open on Simkl]({MOVIE['url']})"],
        ),
        (None, ["Nothing watched yet."]),
    ],
    ids=["movie", "nothing_watched"],
)
async def test_markdown_card_renders(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    mock_simkl: MagicMock,
    fixture: str | None,
    expected: list[str],
) -> None:
    """Test the markdown in the cards renders the title and the link to Simkl."""
    mock_simkl.recently_watched.return_value = load_item(fixture) if fixture else None
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    contents = [
        node["content"]
        for path in CARDS
        for node in _markdown_cards(load_yaml_dict(path))
    ]
    assert contents, "no markdown card to render"
    for content in contents:
        rendered = Template(content, hass).async_render(parse_result=False)
        for text in expected:
            assert text in rendered, rendered
