"""Print the figures of a reliability run (written by tests/reliability) as a table."""

from __future__ import annotations

import json
from pathlib import Path
import sys

COLUMNS = {
    "faults_injected": "faults injected",
    "sessions_run": "sessions run",
    "sessions_matched": "sessions matched",
    "forged_requests_accepted": "forged requests accepted",
    "fuzz_cases": "fuzz cases",
    "unexpected_exceptions": "unexpected exceptions",
    "duplicate_starts": "duplicate starts",
    "duplicate_end_events": "duplicate end events",
}
# Figures that must stay at zero.
ZERO = (
    "forged_requests_accepted",
    "unexpected_exceptions",
    "duplicate_starts",
    "duplicate_end_events",
)


def main(path: str) -> int:
    text = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
    if not text.strip():
        print("no figures: the suite did not finish")
        return 1
    figures: dict[str, int] = json.loads(text)
    cells = [(label, str(figures.get(key, 0))) for key, label in COLUMNS.items()]
    print()
    print("| " + " | ".join(label for label, _ in cells) + " |")
    print("|" + "|".join("-" * (len(label) + 1) + ":" for label, _ in cells) + "|")
    print("| " + " | ".join(value.rjust(len(label)) for label, value in cells) + " |")
    bad = [COLUMNS[key] for key in ZERO if figures.get(key, 0)]
    if figures.get("sessions_matched") != figures.get("sessions_run"):
        bad.append("sessions matched")
    if bad:
        print(f"\nFAILED: {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
