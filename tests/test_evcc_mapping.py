"""README's evcc configuration: every state of the status sensors reaches evcc as documented.

evcc's Home Assistant charger lower-cases and trims the state, looks it up in the user's
statusA/B/C lists, then in its own words; "unknown" and "unavailable" are Home Assistant's "no
value" to it, and any other word is an error. This is that lookup, fed with README's lists.
"""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from custom_components.cpms.sensor import CONNECTOR_SENSORS

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
# evcc's own words (util/homeassistant/connection.go).
EVCC_WORDS = {
    "A": {"a", "disconnected", "not_plugged"},
    "B": {"b", "connected", "plugged", "starting", "stopped", "paused", "complete"}
    | {"charging_completed"},
    "C": {"c", "charging"},
}
NOT_AVAILABLE = "not available"


def evcc_status(state: str, lists: dict[str, str]) -> str:
    """What evcc makes of a state, or the error it raises."""
    word = state.strip().lower()
    if word in {"unknown", "unavailable"}:
        return NOT_AVAILABLE
    user = {
        letter: {item.strip().lower() for item in lists.get(f"status{letter}", "").split(",")}
        for letter in "ABC"
    }
    for table in (user, EVCC_WORDS):
        for letter, words in table.items():
            if word in words:
                return letter
    raise AssertionError(f"evcc: unknown charge status {state!r}")


def _yaml_blocks() -> list[dict[str, str]]:
    """The status settings of README's evcc examples, in their order."""
    blocks = []
    for body in re.findall(r"```yaml\n(.*?)```", README, re.DOTALL):
        settings = dict(re.findall(r"^\s*(status[ABC]):\s*(.+)$", body, re.MULTILINE))
        if settings:
            blocks.append(settings)
    return blocks


def _documented(first_header: str) -> dict[str, str]:
    """The README table that starts with `first_header`: state -> what evcc shows."""
    table = README[README.index(f"| {first_header} | evcc |") :].split("\n\n")[0]
    mapping = {}
    for row in table.splitlines()[2:]:
        states, shown = (cell.strip() for cell in row.strip("|").split("|"))
        letter = shown[0] if shown[1:2] == " " else NOT_AVAILABLE
        for state in re.findall(r"`([a-z_]+)`", states):
            mapping[state] = letter
    return mapping


def _options(key: str) -> list[str]:
    description = next(d for d in CONNECTOR_SENSORS if d.key == key)
    assert description.options
    return description.options


@pytest.mark.parametrize(
    ("sensor", "header", "block"),
    [("connector_status", "Connector status", 0), ("session_status", "Session status", 1)],
)
def test_every_state_maps_as_documented(sensor: str, header: str, block: int) -> None:
    """Each option of the sensor is in README's table, and evcc agrees with the table."""
    lists = _yaml_blocks()[block]
    documented = _documented(header)
    assert sorted(documented) == sorted(_options(sensor))
    for state in _options(sensor):
        assert evcc_status(state, lists) == documented[state], state


def test_the_lists_hold_no_word_twice() -> None:
    """evcc refuses a configuration that lists a word under two statuses."""
    for lists in _yaml_blocks():
        words = [w.strip() for value in lists.values() for w in value.split(",")]
        assert len(words) == len(set(words))


def test_evcc_rejects_an_unlisted_state() -> None:
    """The lookup above fails as evcc does, so a state missing from the lists is caught."""
    with pytest.raises(AssertionError, match="unknown charge status"):
        evcc_status("preparing", {})
