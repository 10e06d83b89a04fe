"""Webhooks lost, doubled, reversed, late or in a flood: every session ends up as the cloud's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import SERVICE_TURN_OFF, SERVICE_TURN_ON
import pytest

from simulator.world import Provider

from ..integration.conftest import Account, SetupAccount
from .check import SessionEvents, compare
from .tally import Tally, sized

pytestmark = pytest.mark.reliability

METER_BURST = sized(300, 1000)

type Scenario = Callable[[Account, FrozenDateTimeFactory, Tally], Awaitable[None]]


async def _start_dropped(account: Account, freezer: FrozenDateTimeFactory, tally: Tally) -> None:
    """The webhook saying the session started is lost; later ones arrive."""
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    account.sim.faults.webhook_hold = True
    await account.run(10)
    queue = account.sim._queues[Provider(account.provider)]
    kept = [d for d in queue._held if d.label not in ("session.started", "start")]
    tally.faults_injected += len(queue._held) - len(kept)
    queue._held[:] = kept
    account.sim.faults.webhook_hold = False
    await account.run(120)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(30)


async def _end_dropped(account: Account, freezer: FrozenDateTimeFactory, tally: Tally) -> None:
    """The end of a session is never delivered; the stop's deadline reads it."""
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(120)
    account.sim.faults.webhook_drop = 10
    tally.faults_injected += 1
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(30)
    account.sim.faults.webhook_drop = 0


async def _unplugged_end_dropped(
    account: Account, freezer: FrozenDateTimeFactory, tally: Tally
) -> None:
    """The car leaves and the end webhook is lost: the safety refresh finds out."""
    await account.switch(SERVICE_TURN_ON, account.connector_id())
    await account.run(120)
    account.sim.faults.webhook_drop = 10
    tally.faults_injected += 1
    account.sim.unplug(account.provider, account.sim.station_ids(account.provider)[0], 1)
    await account.run(30)
    account.sim.faults.webhook_drop = 0


async def _duplicated(account: Account, freezer: FrozenDateTimeFactory, tally: Tally) -> None:
    """Every webhook twice, over two sessions on two connectors."""
    account.sim.faults.webhook_duplicate = True
    tally.faults_injected += 1
    for connector in (account.connector_id(connector=1), account.connector_id(connector=2)):
        await account.switch(SERVICE_TURN_ON, connector)
        await account.run(200)
        await account.switch(SERVICE_TURN_OFF, connector)
        await account.run(30)
    account.sim.faults.webhook_duplicate = False


async def _reversed(account: Account, freezer: FrozenDateTimeFactory, tally: Tally) -> None:
    """A whole session's webhooks arrive last first: ended before started."""
    connector = account.connector_id()
    account.sim.faults.webhook_hold = True
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(100)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(30)
    queue = account.sim._queues[Provider(account.provider)]
    queue._held.reverse()
    tally.faults_injected += 1
    account.sim.faults.webhook_hold = False
    await account.run(0)


async def _late(account: Account, freezer: FrozenDateTimeFactory, tally: Tally) -> None:
    """Webhooks minutes late; the session is stopped early, before any of them arrive."""
    connector = account.connector_id()
    account.sim.faults.webhook_hold = True
    tally.faults_injected += 1
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(40)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    await account.pass_time(freezer, 4 * 60)
    account.sim.faults.webhook_hold = False
    await account.run(0)


async def _late_5s(account: Account, freezer: FrozenDateTimeFactory, tally: Tally) -> None:
    """Webhooks 5 s late, a session stopped early: its start still fires the start event."""
    connector = account.connector_id()
    account.sim.faults.webhook_hold = True
    tally.faults_injected += 1
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(40)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.pass_time(freezer, 5)
    account.sim.faults.webhook_hold = False
    await account.run(10)


async def _meter_burst(account: Account, freezer: FrozenDateTimeFactory, tally: Tally) -> None:
    """A station back online floods its backlog of meter values."""
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(10)
    account.sim.faults.webhook_hold = True
    await account.run(30 * METER_BURST)
    # Hours went by for Home Assistant too: energy is judged against the time charged.
    freezer.tick(timedelta(seconds=30 * METER_BURST))
    tally.faults_injected += 1
    account.sim.faults.webhook_hold = False
    await account.run(0)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(30)


SCENARIOS: dict[str, Scenario] = {
    "start dropped": _start_dropped,
    "end dropped": _end_dropped,
    "car left, end dropped": _unplugged_end_dropped,
    "every event duplicated": _duplicated,
    "ended before started": _reversed,
    "minutes late": _late,
    "5 s late, stopped early": _late_5s,
    "burst of meter values": _meter_burst,
}


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_webhook_fault(
    setup_account: SetupAccount,
    freezer: FrozenDateTimeFactory,
    tally: Tally,
    provider: str,
    scenario: str,
) -> None:
    """After the reconciliation deadline, status and energy are the cloud's; events once each."""
    account = await setup_account(provider)
    events = SessionEvents.capture(account.hass)
    await SCENARIOS[scenario](account, freezer, tally)
    # The deadlines of commands (150 s), then a safety refresh (15 min).
    for seconds in (151, 15 * 60 + 1):
        await account.pass_time(freezer, seconds)
    problems = compare(account, events, tally)
    assert not problems, problems
    assert all(state != "starting" for state in _statuses(account))


def _statuses(account: Account) -> list[str]:
    return [
        account.state("sensor", f"{connector}_session_status")
        for connector in account.entry.runtime_data.data.connectors
    ]
