"""ThorClient against the simulated Thor cloud over real HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from custom_components.cpms.api import (
    Connector,
    ConnectorStatus,
    CpmsAccessDeniedError,
    CpmsAuthenticationError,
    CpmsClient,
    CpmsConnectionError,
    CpmsNotFoundError,
    CpmsRateLimitError,
    CpmsRejectedError,
    CpmsServerError,
    Provider,
    Session,
    SessionRef,
    SessionStatus,
    ThorClient,
)
from simulator import Simulator

from .conftest import RecordedSleep, SimFactory

# Commands go to the command host that Thor's start and stop pages name.
START = "thor-dev POST /charges/start"
STOP = "thor-dev POST /charges/stop"
RUNNING = "thor GET /charges/running"


async def connector(thor: ThorClient, station_index: int = 0, number: int = 1) -> Connector:
    stations = await thor.async_get_stations()
    return stations[station_index].connectors[number - 1]


async def running_session(sim: Simulator, thor: ThorClient, number: int = 1) -> Session:
    plug = await connector(thor, 0, number)
    requested = await thor.async_start_session(plug)
    await sim.advance(60)
    session = await thor.async_get_session(requested)
    assert session is not None
    return session


def test_is_a_cpms_client(thor: ThorClient) -> None:
    client: CpmsClient = thor
    assert client.provider is Provider.THOR
    caps = client.capabilities
    assert (caps.power, caps.current, caps.soc) == (True, True, True)
    assert not any(
        (
            caps.connector_status,
            caps.station_online_push,
            caps.cost,
            caps.current_limit,
            caps.session_lookup,
        )
    )


# --- chargeboxes ------------------------------------------------------------------


async def test_chargeboxes(sim: Simulator, thor: ThorClient) -> None:
    stations = await thor.async_get_stations()
    assert [s.id for s in stations] == sim.station_ids("thor")
    first = stations[0]
    assert first.name == "Garage 1"
    assert first.online is True
    assert [c.id for c in first.connectors] == sim.connector_ids("thor", first.id)
    plug = first.connectors[1]
    assert (plug.number, plug.label, plug.station_id) == (2, "Connector 2", first.id)
    assert (plug.max_power_kw, plug.max_current_a) == (22.0, 32.0)
    assert (plug.plug_type, plug.plug_format) == ("Type2", "SOCKET")
    assert all(c.status is ConnectorStatus.UNKNOWN for c in first.connectors)


async def test_occupied_connector_reads_charging(sim: Simulator, thor: ThorClient) -> None:
    await running_session(sim, thor, 2)
    box = await thor.async_get_station(sim.station_ids("thor")[0])
    assert [c.status for c in box.connectors] == [ConnectorStatus.UNKNOWN, ConnectorStatus.CHARGING]
    sim.set_online("thor", box.id, False)
    assert (await thor.async_get_station(box.id)).online is False


async def test_unknown_chargebox(thor: ThorClient) -> None:
    with pytest.raises(CpmsNotFoundError):
        await thor.async_get_station("no-such-box")


# --- charges ----------------------------------------------------------------------


async def test_start_run_stop(sim: Simulator, thor: ThorClient) -> None:
    plug = await connector(thor)
    requested = await thor.async_start_session(plug)
    assert requested.status is SessionStatus.REQUESTED
    assert requested.id == requested.ref.thor_id_tag
    assert requested.ref.thor_transaction is None
    assert (requested.station_id, requested.connector_id) == (plug.station_id, plug.id)
    # Not running yet: Thor has nothing to show.
    assert await thor.async_get_session(requested) is None

    await sim.advance(60)
    running = await thor.async_get_session(requested)
    assert running is not None
    assert running.status is SessionStatus.STARTED
    transaction = running.ref.thor_transaction
    assert transaction is not None
    assert running.id == str(transaction)
    # The running list hides the id_tag of API starts; the session keeps it for the stop.
    assert running.ref.thor_id_tag == requested.ref.thor_id_tag
    assert running.energy_wh is not None
    assert running.energy_wh > 0
    assert running.started_at is not None
    [listed] = await thor.async_get_active_sessions()
    assert listed.ref == SessionRef(thor_id_tag=None, thor_transaction=transaction)

    await thor.async_stop_session(running, plug)
    await sim.advance(60)
    ended = await thor.async_get_session(running)
    assert ended is not None
    assert ended.status is SessionStatus.ENDED
    assert ended.ref == running.ref
    assert ended.ended_at is not None
    assert ended.energy_wh is not None
    assert ended.energy_wh >= running.energy_wh
    assert await thor.async_get_active_sessions() == []


async def test_session_that_never_ran_reads_none(sim: Simulator, thor: ThorClient) -> None:
    ghost = Session(
        id="7",
        station_id=sim.station_ids("thor")[0],
        connector_id=f"{sim.station_ids('thor')[0]}_1",
        status=SessionStatus.STARTED,
        ref=SessionRef(thor_id_tag="X", thor_transaction=7),
        started_at=datetime.now(UTC) - timedelta(days=3),
    )
    assert await thor.async_get_session(ghost) is None
    assert sim.counters["thor GET /charges/finished"] == 1


async def test_other_cards_charge_is_not_ours(sim: Simulator, thor: ThorClient) -> None:
    box = sim.station_ids("thor")[0]
    sim.local_start("thor", box, 1, "04A1B2C3")
    await sim.advance(10)
    mine = Session(
        id="MYTAG",
        station_id=box,
        connector_id=f"{box}_1",
        status=SessionStatus.REQUESTED,
        ref=SessionRef(thor_id_tag="MYTAG"),
    )
    assert await thor.async_get_session(mine) is None


async def test_running_and_finished_lists(sim: Simulator, thor: ThorClient) -> None:
    first, second = sim.station_ids("thor")
    sim.local_start("thor", first, 1, "CARD-1")
    sim.local_start("thor", second, 2, "CARD-2")
    await sim.advance(30)
    assert len(await thor.async_get_running_charges()) == 2
    [charge] = await thor.async_get_running_charges(second)
    assert (charge.connector_id, charge.ref.thor_id_tag) == (f"{second}_2", "CARD-2")
    assert charge.status is SessionStatus.STARTED

    await thor.async_stop_session(charge, await connector(thor, 1, 2))
    await sim.advance(30)
    today = datetime.now(UTC).date()
    finished = await thor.async_get_finished_charges(
        today - timedelta(days=1), today + timedelta(days=1)
    )
    assert [(f.id, f.status) for f in finished] == [(charge.id, SessionStatus.ENDED)]
    assert await thor.async_get_finished_charges(today, today + timedelta(days=1), first) == []
    yesterday = today - timedelta(days=1)
    assert await thor.async_get_finished_charges(yesterday, yesterday) == []


async def test_stop_looks_up_the_id_tag(sim: Simulator, thor: ThorClient) -> None:
    box = sim.station_ids("thor")[0]
    transaction = sim.local_start("thor", box, 1, "04A1B2C3")
    await sim.advance(10)
    plug = await connector(thor)
    # Known only by its transaction, e.g. from a start notification without id_tag.
    session = Session(
        id=transaction,
        station_id=box,
        connector_id=plug.id,
        status=SessionStatus.STARTED,
        ref=SessionRef(thor_transaction=int(transaction)),
    )
    await thor.async_stop_session(session, plug)
    assert sim.counters[RUNNING] == 1
    assert sim.counters[STOP] == 1
    await sim.advance(30)
    assert await thor.async_get_running_charges() == []


async def test_stop_without_id_tag_and_nothing_running(sim: Simulator, thor: ThorClient) -> None:
    plug = await connector(thor)
    session = Session(
        id="1", station_id=plug.station_id, connector_id=plug.id, status=SessionStatus.STARTED
    )
    with pytest.raises(CpmsRejectedError) as caught:
        await thor.async_stop_session(session, plug)
    assert caught.value.code == "NotInTransaction"
    assert STOP not in sim.counters


async def test_stop_of_a_foreign_api_start_is_refused(sim: Simulator, thor: ThorClient) -> None:
    running = await running_session(sim, thor)
    plug = await connector(thor)
    forgotten = replace(running, ref=SessionRef(thor_transaction=running.ref.thor_transaction))
    with pytest.raises(CpmsRejectedError) as caught:
        await thor.async_stop_session(forgotten, plug)
    assert caught.value.code == "IdTagUnknown"
    assert STOP not in sim.counters


async def test_stop_with_wrong_id_tag(sim: Simulator, thor: ThorClient) -> None:
    running = await running_session(sim, thor)
    plug = await connector(thor)
    wrong = replace(running, ref=replace(running.ref, thor_id_tag="NOT-IT"))
    with pytest.raises(CpmsRejectedError) as caught:
        await thor.async_stop_session(wrong, plug)
    assert caught.value.code == "WrongTransaction"


async def test_stop_refused_by_the_chargebox(sim: Simulator, thor: ThorClient) -> None:
    running = await running_session(sim, thor)
    sim.faults.fail_next_stop = "refused"
    await thor.async_stop_session(running, await connector(thor))
    await sim.advance(60)
    still = await thor.async_get_session(running)
    assert still is not None
    assert still.status is SessionStatus.STARTED


# --- errors -------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["plain", "quirky"])  # JSON or plain-text error bodies
@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ConnectorNotValid", CpmsRejectedError),
        ("AlreadyInTransaction", CpmsRejectedError),
        ("ChargeboxNotFree", CpmsRejectedError),
        ("ChargeboxNotActive", CpmsRejectedError),
        # A command refused on both hosts is never an authentication error: no reauth loop.
        ("APIKeyNotFound", CpmsAccessDeniedError),
        ("RestAPINotEnabled", CpmsAccessDeniedError),
        ("InvalidSourceIPAddr", CpmsAccessDeniedError),
        ("ChargeboxNotFound", CpmsNotFoundError),
        ("TooManyRequests", CpmsRateLimitError),
        ("InternalServerError", CpmsServerError),
    ],
)
async def test_start_errors_are_mapped_and_never_retried(
    make_sim: SimFactory,
    http: aiohttp.ClientSession,
    *,
    variant: str,
    code: str,
    error: type[Exception],
) -> None:
    sim = await make_sim(variant=variant)
    sleep = RecordedSleep()
    thor = ThorClient(
        http,
        sim.thor_api_key,
        base_url=sim.thor_base_url,
        command_url=sim.thor_command_base_url,
        sleep=sleep,
    )
    plug = await connector(thor)
    sim.faults.fail_next_start = code
    with pytest.raises(error) as caught:
        await thor.async_start_session(plug)
    if error in {CpmsRejectedError, CpmsAccessDeniedError}:
        assert getattr(caught.value, "code", None) == code
    assert sim.counters[START] == 1
    # Only a refused key moves on to the other host, where this one is refused too.
    assert sim.counters.get("thor POST /charges/start", 0) == (code == "APIKeyNotFound")
    assert sleep.delays == []


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("NotInTransaction", CpmsRejectedError),
        ("WrongTransaction", CpmsRejectedError),
        ("ConnectorNotValid", CpmsRejectedError),
        ("ChargeboxNotFound", CpmsNotFoundError),
        ("InternalServerError", CpmsServerError),
        ("RestAPINotEnabled", CpmsAccessDeniedError),
    ],
)
async def test_stop_errors_are_mapped_and_never_retried(
    sim: Simulator, thor: ThorClient, code: str, error: type[Exception]
) -> None:
    running = await running_session(sim, thor)
    status = {"ChargeboxNotFound": 404, "InternalServerError": 500, "RestAPINotEnabled": 403}
    sim.faults.fail_next_stop = f"{status.get(code, 400)} {code}"
    with pytest.raises(error):
        await thor.async_stop_session(running, await connector(thor))
    assert sim.counters[STOP] == 1


async def test_real_refusals(sim: Simulator, thor: ThorClient) -> None:
    plug = await connector(thor)
    await thor.async_start_session(plug)
    # A second start while the first is pending.
    with pytest.raises(CpmsRateLimitError):
        await thor.async_start_session(plug)
    await sim.advance(60)
    with pytest.raises(CpmsRejectedError) as caught:
        await thor.async_start_session(plug)
    assert caught.value.code == "AlreadyInTransaction"
    assert caught.value.message
    with pytest.raises(CpmsRejectedError) as caught:
        await thor.async_start_session(replace(plug, number=9))
    assert caught.value.code == "ConnectorNotValid"
    with pytest.raises(CpmsNotFoundError):
        await thor.async_start_session(replace(plug, station_id="nowhere"))
    assert sim.counters[START] == 5


@pytest.mark.parametrize("revoked", [False, True])
async def test_bad_key(sim: Simulator, http: aiohttp.ClientSession, revoked: bool) -> None:
    key = sim.thor_api_key if revoked else "not-the-key-42"
    sim.faults.key_revoked = revoked
    thor = ThorClient(http, key, base_url=sim.thor_base_url, command_url=sim.thor_command_base_url)
    with pytest.raises(CpmsAuthenticationError) as caught:
        await thor.async_get_stations()
    assert caught.value.code == "APIKeyNotFound"
    assert key not in str(caught.value)


async def test_reads_retry_and_commands_do_not(
    sim: Simulator, thor: ThorClient, sleep: RecordedSleep
) -> None:
    sim.faults.error_rate_5xx = 1.0
    with pytest.raises(CpmsConnectionError):
        await thor.async_get_running_charges()
    assert sim.counters[RUNNING] == 3
    assert sleep.delays == [1.0, 2.0]
    plug = Connector(id="x_1", station_id="x", number=1, label="Connector 1")
    with pytest.raises(CpmsConnectionError):
        await thor.async_start_session(plug)
    assert sim.counters[START] == 1


async def test_read_recovers_after_a_rate_limit(
    sim: Simulator, thor: ThorClient, sleep: RecordedSleep
) -> None:
    sim.faults.rate_limit_next = 1
    assert len(await thor.async_get_stations()) == 2
    # Thor sends no Retry-After: the policy's own back-off applies.
    assert sleep.delays == [1.0]
