"""The reliability suite: the integration's fixtures, the run's figures, and its checks."""

from __future__ import annotations

from collections.abc import Iterator
import logging

from hypothesis import HealthCheck, settings
import pytest

from ..integration.conftest import (  # noqa: F401 (fixtures)
    edrv_dialect,
    setup_account,
    setup_stored_account,
    simulator,
    thor_dialect,
)
from .tally import RUN, Tally

# Deterministic: a case found once is found again, and no run passes by the luck of the draw.
settings.register_profile(
    "cpms",
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("cpms")


# Where a crash of the integration shows: its own loggers, Home Assistant's (a failing webhook
# handler, job or task), and asyncio's (a task whose exception nobody retrieved). Not the
# simulator's web server, which logs a client that gave up waiting.
WATCHED_LOGGERS = ("custom_components.cpms", "homeassistant", "asyncio")


@pytest.fixture
def tally(caplog: pytest.LogCaptureFixture) -> Iterator[Tally]:
    """This test's figures; an error logged with a traceback counts as an unexpected exception."""
    caplog.set_level(logging.DEBUG)
    figures = Tally()
    yield figures
    crashes = [
        record
        for record in caplog.get_records("call")
        if record.levelno >= logging.ERROR
        and record.exc_info
        and record.name.startswith(WATCHED_LOGGERS)
    ]
    figures.unexpected_exceptions += len(crashes)
    RUN.add(figures)
    assert not crashes, [record.getMessage() for record in crashes]


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Hand the figures to scripts/reliability."""
    RUN.write()
