"""Commands in quick succession, and several connectors and accounts charging at once."""

from __future__ import annotations

import asyncio
import itertools

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_OFF, STATE_ON
import pytest

from ..integration.conftest import Account, SetupAccount
from .check import SessionEvents, compare, sim_sessions
from .tally import Tally, sized

pytestmark = pytest.mark.reliability

# Every sequence of commands that changes its mind at least once: up to three long by default,
# up to four at full size.
SEQUENCES = [
    seq
    for length in range(2, sized(3, 4) + 1)
    for seq in itertools.product((SERVICE_TURN_ON, SERVICE_TURN_OFF), repeat=length)
    if len(set(seq)) > 1
]


async def _settle(account: Account, freezer: FrozenDateTimeFactory) -> None:
    """Let the cloud answer and every deadline pass.

    The cloud's time moves on after each command it got (a start at the end of one step is
    taken by the station in the next), before Home Assistant's deadlines are due.
    """
    for _ in range(3):
        await account.run(60)
        await account.run(60)
        await account.pass_time(freezer, 151)


def _active(account: Account, connector: str) -> int:
    return sum(1 for s in sim_sessions(account) if s.active and s.connector.id == connector)


@pytest.mark.parametrize("together", [False, True], ids=["one after another", "all at once"])
@pytest.mark.parametrize("sequence", SEQUENCES, ids=lambda s: "/".join(c[5:] for c in s))
@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_last_command_wins(
    setup_account: SetupAccount,
    freezer: FrozenDateTimeFactory,
    tally: Tally,
    provider: str,
    sequence: tuple[str, ...],
    together: bool,
) -> None:
    """Within a second: the final state is the last command's, and no session is left over."""
    account = await setup_account(provider)
    events = SessionEvents.capture(account.hass)
    connector = account.connector_id()
    if together:
        await asyncio.gather(*(account.switch(command, connector) for command in sequence))
    else:
        for command in sequence:
            await account.switch(command, connector)
    tally.faults_injected += 1
    await _settle(account, freezer)
    want_on = sequence[-1] == SERVICE_TURN_ON
    assert account.state("switch", f"{connector}_charging") == (STATE_ON if want_on else STATE_OFF)
    assert _active(account, connector) == int(want_on)
    starts = len(sim_sessions(account))
    assert starts <= sequence.count(SERVICE_TURN_ON)
    problems = compare(account, events, tally)
    assert not problems, problems


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_off_while_waiting_for_the_vehicle(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, tally: Tally, provider: str
) -> None:
    """Turned off before the car is plugged in: plugging in later does not leave it charging."""
    account = await setup_account(provider)
    events = SessionEvents.capture(account.hass)
    station = account.sim.station_ids(provider)[0]
    connector = account.connector_id()
    account.sim.unplug(provider, station, 1)
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(10)
    await account.switch(SERVICE_TURN_OFF, connector)
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    account.sim.plug(provider, station, 1)
    await _settle(account, freezer)
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert _active(account, connector) == 0
    problems = compare(account, events, tally)
    assert not problems, problems


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_on_while_a_stop_is_pending(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, tally: Tally, provider: str
) -> None:
    """On again before the stop completes: a new session once the old one has ended."""
    account = await setup_account(provider)
    events = SessionEvents.capture(account.hass)
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.switch(SERVICE_TURN_ON, connector)
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    await _settle(account, freezer)
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert _active(account, connector) == 1
    assert len(sim_sessions(account)) == 2
    problems = compare(account, events, tally)
    assert not problems, problems


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_two_connectors_of_one_station(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, tally: Tally, provider: str
) -> None:
    account = await setup_account(provider)
    events = SessionEvents.capture(account.hass)
    connectors = [account.connector_id(connector=n) for n in (1, 2)]
    await asyncio.gather(*(account.switch(SERVICE_TURN_ON, c) for c in connectors))
    await account.run(300)
    assert all(account.state("sensor", f"{c}_session_status") == "charging" for c in connectors)
    await asyncio.gather(*(account.switch(SERVICE_TURN_OFF, c) for c in connectors))
    await _settle(account, freezer)
    assert all(account.state("sensor", f"{c}_session_status") == "ended" for c in connectors)
    problems = compare(account, events, tally)
    assert not problems, problems


async def test_edrv_and_thor_at_once(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, tally: Tally
) -> None:
    accounts = [await setup_account("edrv"), await setup_account("thor")]
    events = SessionEvents.capture(accounts[0].hass)
    await asyncio.gather(*(a.switch(SERVICE_TURN_ON, a.connector_id()) for a in accounts))
    await accounts[0].run(300)
    await asyncio.gather(*(a.switch(SERVICE_TURN_OFF, a.connector_id()) for a in accounts))
    for account in accounts:
        await _settle(account, freezer)
    for account in accounts:
        assert account.state("sensor", f"{account.connector_id()}_session_status") == "ended"
        problems = compare(account, events, tally)
        assert not problems, problems
