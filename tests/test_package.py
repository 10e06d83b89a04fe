"""The repository's packaging: manifest, hacs.json, translations, and loading in HA."""

import ast
import json
from pathlib import Path
import re

from homeassistant.const import __version__ as ha_version
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_custom_components, async_get_integration
from homeassistant.setup import async_setup_component

from custom_components.cpms.const import DOMAIN

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "custom_components" / DOMAIN
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
TRANSLATIONS = json.loads((PACKAGE / "translations" / "en.json").read_text(encoding="utf-8"))


def test_manifest_keys_and_order() -> None:
    """hassfest wants domain, name, then the other keys alphabetically."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    required = {
        "domain": DOMAIN,
        "after_dependencies": ["cloud"],
        "config_flow": True,
        "dependencies": ["webhook"],
        "integration_type": "hub",
        "iot_class": "cloud_push",
        "requirements": [],
    }
    for key, value in required.items():
        assert MANIFEST[key] == value, key
    for key in ("name", "documentation", "issue_tracker", "version"):
        assert isinstance(MANIFEST[key], str), key
        assert MANIFEST[key], key
    assert MANIFEST["codeowners"]
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])
    assert re.fullmatch(r"\d+\.\d+\.\d+", MANIFEST["version"])


def test_hacs_json_matches_the_tested_version() -> None:
    """HACS needs a name, and the minimum HA version must be the one CI tests."""
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= {"name", "homeassistant", "hacs", "zip_release", "filename", "country"}
    assert hacs["name"] == MANIFEST["name"]
    assert hacs["homeassistant"] == ha_version == "2026.10.4"


async def test_integration_loads(hass: HomeAssistant) -> None:
    """Home Assistant finds cpms as a custom integration and sets it up."""
    custom = await async_get_custom_components(hass)
    assert DOMAIN in custom
    integration = await async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert str(integration.version) == MANIFEST["version"]
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components


def _used_translation_keys() -> set[tuple[str, str]]:
    """(section, key) pairs the code refers to through translation_key= and friends."""
    sections = {
        "translation_key": "exceptions",
        "errors": "config.error",
        "reason": "config.abort",
    }
    used: set[tuple[str, str]] = set()
    for path in PACKAGE.rglob("*.py"):
        if "api" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in sections:
                value = node.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    used.add((sections[node.arg], value.value))
    return used


def _lookup(section: str) -> dict[str, object]:
    node: object = TRANSLATIONS
    for part in section.split("."):
        assert isinstance(node, dict), section
        node = node.get(part, {})
    assert isinstance(node, dict)
    return node


def test_translations_cover_the_code() -> None:
    """Every translation key the code raises or shows exists in en.json."""
    for section, key in _used_translation_keys():
        assert key in _lookup(section), f"{section}.{key} missing from translations/en.json"
