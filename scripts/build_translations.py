"""Write translations/en.json from strings.json with every reference resolved.

Home Assistant resolves ``[%key:...%]`` references only for core integrations,
so a custom integration ships English text with the references written out.
Run it after editing strings.json: ``python scripts/build_translations.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

INTEGRATION = Path(__file__).parent.parent / "custom_components" / "simkl"

# Home Assistant's common strings that strings.json refers to.
COMMON = {
    "common::config_flow::error::cannot_connect": "Failed to connect",
    "common::config_flow::error::unknown": "Unexpected error",
    "common::config_flow::abort::already_configured_account": (
        "Account is already configured"
    ),
    "common::config_flow::abort::reauth_successful": (
        "Re-authentication was successful"
    ),
}
REFERENCE = re.compile(r"\[%key:([a-z0-9_:]+)%\]")


def resolve(value: Any, strings: dict[str, Any]) -> Any:
    """Return ``value`` with every reference replaced by the text it names."""
    if isinstance(value, dict):
        return {key: resolve(item, strings) for key, item in value.items()}

    def lookup(match: re.Match[str]) -> str:
        """Return the text a single reference names."""
        key = match[1]
        if key in COMMON:
            return COMMON[key]
        node: Any = strings
        for part in key.removeprefix("component::simkl::").split("::"):
            node = node[part]
        return str(resolve(node, strings))

    return REFERENCE.sub(lookup, value)


def main() -> None:
    """Write the English translation file."""
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    target = INTEGRATION / "translations" / "en.json"
    target.parent.mkdir(exist_ok=True)
    text = json.dumps(resolve(strings, strings), indent=2, ensure_ascii=False)
    target.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
