"""Home Assistant restarts in the middle of a session, and old deliveries come back after it."""

from __future__ import annotations

import contextlib
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_OFF, STATE_ON
from homeassistant.core import Event, callback
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from ..integration.conftest import SECRET, Account, SetupAccount
from .check import SessionEvents, compare, sim_sessions
from .forgery import Forger, Tap
from .payloads import edrv_signature
from .restart import start_home_assistant, stop_home_assistant
from .tally import Tally

pytestmark = pytest.mark.reliability


def _energy_readings(account: Account, connector: str) -> list[float]:
    """Every numeric state the session energy sensor takes from now on."""
    entity_id = account.entity_id("sensor", f"{connector}_session_energy")
    readings: list[float] = []

    @callback
    def changed(event: Event) -> None:
        new = event.data["new_state"]
        if new is not None and event.data["entity_id"] == entity_id:
            # Unavailable while unloaded: statistics skip that.
            with contextlib.suppress(ValueError):
                readings.append(float(new.state))

    account.hass.bus.async_listen("state_changed", changed)
    return readings


def _headers(account: Account, body: bytes) -> dict[str, str]:
    """A fresh signature, as a replay of a body-only `v1` signature can have."""
    if account.provider != "edrv":
        return {}
    return {"edrv-signature": edrv_signature(SECRET, body, time.time(), with_t=False)}


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_session_ends_while_home_assistant_is_down(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
    tally: Tally,
    provider: str,
) -> None:
    """The end is recorded once, with its energy; old deliveries replayed later change nothing."""
    account = await setup_account(provider)
    events = SessionEvents.capture(account.hass)
    connector = account.connector_id()
    readings = _energy_readings(account, connector)
    tap = Tap(account)
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(300)
    old = list(tap.bodies)

    await stop_home_assistant(account)
    tally.faults_injected += 1
    account.sim.unplug(provider, account.sim.station_ids(provider)[0], 1)
    await account.run(30)
    await start_home_assistant(account)

    forger = Forger(account, await hass_client_no_auth(), tally)
    forger.events = events
    for body in old:
        _status, changed = await forger.post(body, _headers(account, body))
        assert not changed
    await account.pass_time(freezer, 16 * 60)

    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    problems = compare(account, events, tally)
    assert not problems, problems
    final = account.sim.world.energy_wh(sim_sessions(account)[-1]) / 1000
    assert readings == sorted(readings), "the energy never drops within the session"
    assert max(readings) <= final + 0.001, "no spike above the session's energy"


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_session_started_before_a_restart_stops_after_it(
    setup_account: SetupAccount, tally: Tally, provider: str
) -> None:
    account = await setup_account(provider)
    events = SessionEvents.capture(account.hass)
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(120)
    await stop_home_assistant(account)
    await account.run(60)
    await start_home_assistant(account)
    tally.faults_injected += 1
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(30)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert not any(s.active for s in sim_sessions(account))
    problems = compare(account, events, tally)
    assert not problems, problems


async def test_dedupe_holds_across_a_restart(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator, tally: Tally
) -> None:
    """A station's "offline" delivered again after a restart does not take it offline."""
    account = await setup_account("edrv")
    station = account.sim.station_ids("edrv")[0]
    tap = Tap(account)
    account.sim.set_online("edrv", station, False)
    await account.run(10)
    offline = tap.bodies[-1]
    account.sim.set_online("edrv", station, True)
    await account.run(10)
    await stop_home_assistant(account)
    await start_home_assistant(account)
    tally.faults_injected += 1
    forger = Forger(account, await hass_client_no_auth(), tally)
    status, changed = await forger.post(offline, _headers(account, offline))
    assert (status, changed) == (200, False)
    assert account.state("binary_sensor", f"{station}_online") == STATE_ON
