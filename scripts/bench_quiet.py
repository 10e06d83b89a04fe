"""The quiet hour, run by scripts/bench through pytest; a measurement, not a test of the suite.

One simulated hour of a charging session per provider, with the simulator's webhooks flowing,
in Home Assistant's test harness: the only way to let an hour of timers pass at once. Counts the
API requests it made against what 30-second polling would have made.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import SERVICE_TURN_ON
import pytest

from tests.conftest import auto_enable_custom_integrations
from tests.integration.conftest import (
    SetupAccount,
    edrv_dialect,
    setup_account,
    simulator,
    thor_dialect,
)

__all__ = [
    "auto_enable_custom_integrations",
    "edrv_dialect",
    "setup_account",
    "simulator",
    "thor_dialect",
]

HOUR_S = 3600
STEP_S = 30
# The reads of the safety refresh: the active sessions (eDRV asks for two statuses).
SAFETY_READS = {"edrv": ("edrv GET /sessions",), "thor": ("thor GET /charges/running",)}
RESULTS: dict[str, dict[str, object]] = {}


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_quiet_hour(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, provider: str
) -> None:
    """A healthy hour: webhooks every 30 s, requests only for the safety refresh."""
    account = await setup_account(provider)
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(10)
    if account.state("sensor", f"{connector}_session_status") != "charging":
        raise RuntimeError("the session did not start")
    account.sim.reset_counters()
    for _ in range(HOUR_S // STEP_S):
        await account.sim.advance(STEP_S)
        await account.pass_time(freezer, STEP_S)
    requests = dict(account.sim.counters)
    webhooks = dict(account.sim.webhook_counters)
    safety = sum(n for route, n in requests.items() if route in SAFETY_READS[provider])
    refreshes = HOUR_S // (15 * 60)
    RESULTS[provider] = {
        "requests": requests,
        "safety_refresh_requests": safety,
        "other_requests": sum(requests.values()) - safety,
        "webhooks": webhooks,
        "polling_30s_requests": HOUR_S // STEP_S * max(1, safety // refreshes),
        "session_status": account.state("sensor", f"{connector}_session_status"),
    }


def teardown_module() -> None:
    """Hand the figures to scripts/bench."""
    if target := os.environ.get("CPMS_BENCH_QUIET_OUT"):
        other = {p: r["other_requests"] for p, r in RESULTS.items()}
        Path(target).write_text(json.dumps({"providers": RESULTS, "other_requests": other}))
