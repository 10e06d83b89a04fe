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


def _constant_args(node: ast.Call) -> list[str]:
    return [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]


def _keys_in_code() -> set[tuple[str, str]]:  # noqa: PLR0912
    """(section, key) pairs the code names: exceptions, flow errors and aborts, steps."""
    used: set[tuple[str, str]] = set()
    for path in PACKAGE.glob("*.py"):
        # Repair flows translate their steps and aborts under issues.<issue>.fix_flow.
        flow = "repairs" if path.name == "repairs.py" else "config"
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            keywords = {k.arg: k.value for k in node.keywords}
            if name == "translated_error":
                used.update(("exceptions", key) for key in _constant_args(node))
            if name == "CannotConfigureError":
                for key in _constant_args(node):
                    used |= {("config.error", key), ("config.abort", key), ("options.abort", key)}
            if "translation_domain" in keywords and isinstance(
                key_node := keywords.get("translation_key"), ast.Constant
            ):
                used.add(("exceptions", key_node.value))
            if isinstance(reason := keywords.get("reason"), ast.Constant):
                used.add((f"{flow}.abort", reason.value))
            if isinstance(step := keywords.get("step_id"), ast.Constant):
                section = "options.step" if step.value == "init" else f"{flow}.step"
                used.add((section, step.value))
            if isinstance(errors := keywords.get("errors"), ast.IfExp):
                for branch in (errors.body, errors.orelse):
                    if isinstance(branch, ast.Dict):
                        for value in branch.values:
                            if isinstance(value, ast.Constant):
                                used.add(("config.error", value.value))
    return used


def _lookup(section: str) -> dict[str, object]:
    if section.startswith("repairs."):  # any issue's fix flow
        part = section.removeprefix("repairs.")
        issues: dict[str, dict[str, dict[str, dict[str, object]]]] = TRANSLATIONS["issues"]
        return {
            key: value
            for issue in issues.values()
            for key, value in issue.get("fix_flow", {}).get(part, {}).items()
        }
    node: object = TRANSLATIONS
    for part in section.split("."):
        assert isinstance(node, dict), section
        node = node.get(part, {})
    assert isinstance(node, dict)
    return node


def test_translations_cover_the_code() -> None:
    """Every key the code raises, shows or aborts with exists in en.json."""
    used = _keys_in_code()
    assert len(used) > 20  # the scan found the code's keys
    for section, key in used:
        assert key in _lookup(section), f"{section}.{key} missing from translations/en.json"


def test_translations_cover_mapped_errors() -> None:
    """Provider error codes map to keys that exist."""
    from custom_components.cpms import config_flow, errors

    for key in errors._REJECTION_KEYS.values():
        assert key in _lookup("exceptions"), key
    for key in config_flow._AUTH_ERRORS.values():
        assert key in _lookup("config.error"), key
        assert key in _lookup("config.abort"), key
        assert key in _lookup("options.abort"), key


def test_translations_cover_the_entities() -> None:
    """Every entity name and enum state has its text."""
    from custom_components.cpms import sensor

    entity = _lookup("entity")
    for description in sensor.CONNECTOR_SENSORS:
        if description.translation_key is None:
            continue
        texts = entity["sensor"][description.translation_key]  # type: ignore[index]
        assert texts["name"]
        for option in description.options or []:
            assert option in texts["state"], f"{description.key}: {option}"
    for platform, key in (
        ("sensor", "last_webhook"),
        ("binary_sensor", "online"),
        ("switch", "charging"),
    ):
        assert entity[platform][key]["name"]  # type: ignore[index]


def test_icons_name_known_states() -> None:
    """icons.json refers to entities and states that exist."""
    icons = json.loads((PACKAGE / "icons.json").read_text(encoding="utf-8"))["entity"]
    entity = _lookup("entity")
    for platform, keys in icons.items():
        for key, icon in keys.items():
            assert key in entity[platform], f"{platform}.{key}"  # type: ignore[operator]
            for state in icon.get("state", {}):
                if platform != "switch":
                    assert state in entity[platform][key]["state"]  # type: ignore[index]
