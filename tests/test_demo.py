"""The demo's set-up script: its own accounts only, and a port that may change between runs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).parents[1] / "scripts" / "ha_bootstrap.py"
KEYS = {"edrv": "edrv-demo-key", "thor": "thor-demo-key"}


def _bootstrap() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ha_bootstrap", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _entry(entry_id: str, provider: str, key: str, domain: str = "cpms") -> dict[str, object]:
    return {
        "entry_id": entry_id,
        "domain": domain,
        "data": {"provider": provider, "api_key": key, "webhook_id": f"hook-{entry_id}"},
    }


def test_demo_wires_only_its_own_accounts(tmp_path: Path) -> None:
    """A second eDRV account added by hand keeps its webhooks: only the demo's keys count."""
    storage = tmp_path / ".storage"
    storage.mkdir()
    entries = [
        _entry("demo-edrv", "edrv", KEYS["edrv"]),
        _entry("own-edrv", "edrv", "a-real-key"),
        _entry("demo-thor", "thor", KEYS["thor"]),
        _entry("other", "sun", KEYS["edrv"], domain="sun"),
    ]
    (storage / "core.config_entries").write_text(json.dumps({"data": {"entries": entries}}))
    found = _bootstrap().demo_entries(tmp_path, KEYS)
    assert [entry["entry_id"] for entry in found] == ["demo-edrv", "demo-thor"]


def test_configuration_follows_the_port(tmp_path: Path) -> None:
    """Written once; a run on another port moves the internal URL and keeps the user's edits."""
    bootstrap = _bootstrap()
    bootstrap.write_configuration(tmp_path, 8123)
    configuration = tmp_path / "configuration.yaml"
    text = configuration.read_text()
    assert "internal_url: http://127.0.0.1:8123\n" in text
    for component in ("energy:", "automation: !include automations.yaml", "history:"):
        assert component in text
    assert (tmp_path / "automations.yaml").read_text() == "[]\n"

    configuration.write_text(text + "sun:\n")
    bootstrap.write_configuration(tmp_path, 18123)
    moved = configuration.read_text()
    assert "internal_url: http://127.0.0.1:18123\n" in moved
    assert moved.endswith("sun:\n")
    assert (tmp_path / "custom_components" / "cpms").is_symlink()
