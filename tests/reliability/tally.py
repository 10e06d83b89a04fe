"""The figures of a reliability run, added up across its tests and written for the report.

Each test adds what it did (faults injected, sessions run, fuzz cases) and what went wrong
(forged requests accepted, duplicate starts and end events); the tests assert the failures are
zero as well, so CI fails on them. scripts/reliability reads the file and prints the table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
import json
import os
from pathlib import Path

# Where the figures go: set by scripts/reliability, unset in an ordinary run.
REPORT_ENV = "CPMS_RELIABILITY_REPORT"
# "full" runs every suite at the size scripts/reliability promises (>= 10,000 fuzz cases).
SCALE_ENV = "CPMS_RELIABILITY_SCALE"


def full_size() -> bool:
    """Whether this run is the full-size one of scripts/reliability."""
    return os.environ.get(SCALE_ENV) == "full"


def sized(default: int, full: int) -> int:
    """A count for the default run, or for the full-size run."""
    return full if full_size() else default


@dataclass
class Tally:
    """Counts of one run; the last four must stay at zero."""

    faults_injected: int = 0
    sessions_run: int = 0
    sessions_matched: int = 0
    forged_requests_accepted: int = 0
    fuzz_cases: int = 0
    unexpected_exceptions: int = 0
    duplicate_starts: int = 0
    duplicate_end_events: int = 0

    def add(self, other: Tally) -> None:
        """Fold another test's figures into this one."""
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def write(self) -> None:
        """Write the figures where scripts/reliability reads them, if it asked."""
        if path := os.environ.get(REPORT_ENV):
            Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")


# The run's figures; tests add to them through the `tally` fixture.
RUN = Tally()
