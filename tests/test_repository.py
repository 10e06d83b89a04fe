"""What HACS and GitHub see of the repository: workflows, licence, changelog, entry schema."""

import json
from pathlib import Path
import re
import shutil
import subprocess
import tomllib
from typing import Any

from homeassistant.helpers import selector
import pytest
import yaml

ROOT = Path(__file__).parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
PACKAGE = ROOT / "custom_components" / "cpms"
MANIFEST = json.loads((PACKAGE / "manifest.json").read_text(encoding="utf-8"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # \S+")


def _workflow(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_every_action_is_pinned_to_a_commit() -> None:
    """A tag can be moved; a commit cannot. The comment says which release it is."""
    lines = [
        line.strip().removeprefix("- ").removeprefix("uses:").strip()
        for path in sorted(WORKFLOWS.glob("*.yml"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().removeprefix("- ").startswith("uses:")
    ]
    assert len(lines) >= 5
    for line in lines:
        assert PINNED.match(line), line


def test_validate_runs_hassfest_and_hacs() -> None:
    """Both store checks, with nothing ignored."""
    steps = _steps(_workflow("validate.yml"))
    uses = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert "home-assistant/actions/hassfest" in uses
    assert uses["hacs/action"]["with"] == {"category": "integration"}


def test_tests_run_what_ci_runs() -> None:
    """The tests workflow runs .ci/run, which runs scripts/test."""
    runs = [step["run"] for step in _steps(_workflow("tests.yml")) if "run" in step]
    assert any(run.strip() == "bash .ci/run" for run in runs)
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "check-jsonschema" in (ROOT / "scripts" / "test").read_text(encoding="utf-8")


def test_licence_is_the_one_pyproject_names() -> None:
    """HACS refuses a repository without a licence file."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")


def test_changelog_describes_the_manifest_version() -> None:
    """A release is tagged with the manifest's version, and the changelog has its notes."""
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## (\d+\.\d+\.\d+)", changelog, flags=re.MULTILINE)
    assert versions[0] == MANIFEST["version"]
    assert versions[-1] == "0.1.0"


def config_yaml_fields(section: str) -> set[str]:
    """The fields config.yaml describes for the entry's data or options."""
    data = yaml.safe_load((PACKAGE / "config.yaml").read_text(encoding="utf-8"))
    (version,) = data["config_entry"]["versions"]
    return set(version[section]["fields"])


def test_config_yaml_fields_have_valid_selectors() -> None:
    """Every stored field of the entry is described with a selector Home Assistant accepts."""
    data = yaml.safe_load((PACKAGE / "config.yaml").read_text(encoding="utf-8"))
    (version,) = data["config_entry"]["versions"]
    assert version["version"] == {"major": 1, "minor": 1}
    for section in ("data", "options"):
        for field in version[section]["fields"].values():
            selector.validate_selector(field["selector"])


def test_a_venv_symlink_is_ignored(tmp_path: Path) -> None:
    """`.venv/` matches only a folder; scripts/setup may make .venv a link to a shared one."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    shutil.copy(ROOT / ".gitignore", tmp_path / ".gitignore")
    (tmp_path / ".venv").symlink_to(tmp_path)
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True)  # noqa: S603
    ignored = subprocess.run(  # noqa: S603 (git with fixed arguments)
        [git, "-C", str(tmp_path), "check-ignore", "-q", ".venv"], check=False
    )
    assert ignored.returncode == 0


def test_one_integration_manifest() -> None:
    """hassfest checks every tracked manifest.json; the bench probe writes its own at run time."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    listed = subprocess.run(  # noqa: S603 (git with fixed arguments)
        [git, "-C", str(ROOT), "ls-files"], check=False, capture_output=True, text=True
    )
    if listed.returncode != 0:
        pytest.skip("not a git work tree")
    manifests = [path for path in listed.stdout.splitlines() if Path(path).name == "manifest.json"]
    assert manifests == ["custom_components/cpms/manifest.json"]
