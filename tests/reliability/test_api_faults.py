"""The API fails: a translated error, the truth shown, nothing left pending, no second start."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from homeassistant.const import SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_OFF, STATE_ON
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.cpms import providers
from custom_components.cpms.const import DOMAIN
from simulator import Simulator

from ..integration.conftest import Account, SetupAccount
from .check import SessionEvents, compare
from .tally import Tally

pytestmark = pytest.mark.reliability

TIMEOUT_S = 0.5


@dataclass(frozen=True)
class Fault:
    """A fault of the API, set up before the action and cleared after it."""

    provider: str
    action: str
    arm: Callable[[Simulator], None]
    key: str


def _latency(sim: Simulator) -> None:
    sim.faults.latency_s = TIMEOUT_S * 3


def _failing(call: str, failure: str) -> Callable[[Simulator], None]:
    def arm(sim: Simulator) -> None:
        setattr(sim.faults, f"fail_next_{call}", failure)

    return arm


def _rate_limited(sim: Simulator) -> None:
    sim.faults.rate_limit_next = 1
    sim.faults.retry_after_s = 90


def _all_5xx(sim: Simulator) -> None:
    sim.faults.error_rate_5xx = 1.0


def _revoked(sim: Simulator) -> None:
    sim.faults.key_revoked = True


_START, _STOP = _failing("start", "503 Unavailable"), _failing("stop", "503 Unavailable")
FAULTS = {
    f"{provider}-{action}-{name}": Fault(provider, action, arm, key)
    for provider in ("edrv", "thor")
    for action in ("on", "off")
    for name, arm, key in (
        ("timeout", _latency, "cannot_connect"),
        # The cloud answered, and failed: not "could not be reached".
        ("503", _START if action == "on" else _STOP, "cloud_failed"),
        ("every call 5xx", _all_5xx, "cloud_failed"),
        ("429 retry-after", _rate_limited, "rate_limited"),
        ("401 or revoked key", _revoked, "authentication_failed"),
    )
} | {
    f"{provider}-{action}-{name}": Fault(provider, action, _failing(call, failure), key)
    for provider, action, call, name, failure, key in (
        ("edrv", "on", "start", "406", "406 Chargestation is offline", "station_offline"),
        ("edrv", "off", "stop", "406", "406 Chargestation is offline", "station_offline"),
        ("thor", "on", "start", "400", "ConnectorNotValid", "connector_not_valid"),
        ("thor", "on", "start", "402", "ChargeboxNotFree", "not_free"),
        ("thor", "on", "start", "403", "ChargeboxNotActive", "station_not_active"),
        ("thor", "on", "start", "404", "ChargeboxNotFound", "not_found"),
        ("thor", "off", "stop", "400", "400 WrongTransaction", "wrong_transaction"),
        ("thor", "off", "stop", "404", "404 ChargeboxNotFound", "not_found"),
    )
}


def _starts(account: Account) -> int:
    return sum(
        count
        for route, count in account.sim.counters.items()
        if route in ("edrv POST /sessions", "thor POST /charges/start")
    )


async def _later(account: Account, seconds: float) -> None:
    """Fire Home Assistant's timers due within `seconds`; the clock keeps running for real.

    Not the frozen test clock: the timeout and the reads' back-off need real time to pass.
    """
    async_fire_time_changed(account.hass, dt_util.utcnow() + timedelta(seconds=seconds))
    await account.hass.async_block_till_done(wait_background_tasks=True)
    await account.sim.flush_webhooks()
    await account.hass.async_block_till_done()


@pytest.mark.parametrize("name", FAULTS)
async def test_api_fault(
    setup_account: SetupAccount,
    monkeypatch: pytest.MonkeyPatch,
    tally: Tally,
    name: str,
) -> None:
    fault = FAULTS[name]
    monkeypatch.setattr(providers, "REQUEST_TIMEOUT_S", TIMEOUT_S)
    account = await setup_account(fault.provider)
    events = SessionEvents.capture(account.hass)
    sim, connector = account.sim, account.connector_id()
    if fault.action == "off":
        await account.switch(SERVICE_TURN_ON, connector)
        await account.run(60)
        assert account.state("sensor", f"{connector}_session_status") == "charging"
    sim.reset_counters()

    fault.arm(sim)
    tally.faults_injected += 1
    service = SERVICE_TURN_ON if fault.action == "on" else SERVICE_TURN_OFF
    with pytest.raises(HomeAssistantError) as raised:
        await account.switch(service, connector)
    assert raised.value.translation_key == fault.key
    assert str(raised.value)
    sim.faults.update({"latency_s": 0, "error_rate_5xx": 0, "key_revoked": False})
    sim.faults.update({"rate_limit_next": 0, "fail_next_start": None, "fail_next_stop": None})

    # Past every deadline and the safety refresh: nothing pending, the cloud's truth shown.
    for _ in range(2):
        await account.run(60)
        await _later(account, 16 * 60)
    status = account.state("sensor", f"{connector}_session_status")
    assert status not in ("starting", "stopping"), status
    running = any(s.active for s in sim.world.sessions if s.connector.id == connector)
    assert account.state("switch", f"{connector}_charging") == (STATE_ON if running else STATE_OFF)
    assert _starts(account) <= (1 if fault.action == "on" else 0)
    tally.duplicate_starts += max(0, _starts(account) - (1 if fault.action == "on" else 0))
    if fault.key == "authentication_failed":
        flows = account.hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        assert [flow["context"]["source"] for flow in flows] == ["reauth"]
    problems = compare(account, events, tally)
    assert not problems, problems
