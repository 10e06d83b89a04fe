"""EdrvClient against the simulated eDRV cloud over real HTTP."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from custom_components.cpms.api import (
    ConnectorStatus,
    CpmsAuthenticationError,
    CpmsClient,
    CpmsConnectionError,
    CpmsNotFoundError,
    CpmsRateLimitError,
    CpmsRejectedError,
    CpmsStationOfflineError,
    EdrvClient,
    Provider,
    Session,
    SessionRef,
    SessionStatus,
    Station,
)
from custom_components.cpms.api.edrv import client as edrv_client_module
from simulator import Simulator

from .conftest import RecordedSleep, SimFactory

START = "edrv POST /sessions"
LIST_SESSIONS = "edrv GET /sessions"
GET_SESSION = "edrv GET /sessions/{id}"
STOP = "edrv GET /sessions/{id}/stop"


def client_for(sim: Simulator, http: aiohttp.ClientSession, **kwargs: object) -> EdrvClient:
    options: dict[str, object] = {"base_url": sim.edrv_base_url, "sleep": RecordedSleep()}
    options |= kwargs
    return EdrvClient(http, sim.edrv_api_key, **options)  # type: ignore[arg-type]


async def first_station(edrv: EdrvClient) -> Station:
    stations = await edrv.async_get_stations()
    return stations[0]


async def started_session(sim: Simulator, edrv: EdrvClient, connector_index: int = 0) -> Session:
    station = await first_station(edrv)
    session = await edrv.async_start_session(station.connectors[connector_index])
    await sim.advance(60)
    current = await edrv.async_get_session(session)
    assert current is not None
    assert current.status is SessionStatus.STARTED
    return current


def test_is_a_cpms_client(edrv: EdrvClient) -> None:
    client: CpmsClient = edrv
    assert client.provider is Provider.EDRV
    assert client.capabilities.current_limit
    assert client.capabilities.session_lookup
    assert client.capabilities.connector_status


# --- stations and users -----------------------------------------------------------


async def test_stations_with_connectors(sim: Simulator, edrv: EdrvClient) -> None:
    stations = await edrv.async_get_stations()
    assert sorted(s.id for s in stations) == sorted(sim.station_ids("edrv"))
    for station in stations:
        assert station.name.startswith("HA-SIM-")
        assert (station.vendor, station.model, station.firmware) == (
            "SimCharge",
            "AC22-DUO",
            "1.8.4",
        )
        assert station.serial
        assert station.online is True
        assert [c.id for c in station.connectors] == sim.connector_ids("edrv", station.id)
        assert [(c.number, c.label) for c in station.connectors] == [
            (1, "Connector 1"),
            (2, "Connector 2"),
        ]
        # One station writes power as a string ("11.0"), the other as a number.
        assert [c.max_power_kw for c in station.connectors] == [11.0, 22.0]
        assert all(c.status is ConnectorStatus.PREPARING for c in station.connectors)
        assert all(c.station_id == station.id for c in station.connectors)
    assert {c.plug_format for s in stations for c in s.connectors} == {"Socket", "CABLE"}


async def test_get_station(sim: Simulator, edrv: EdrvClient) -> None:
    station_id = sim.station_ids("edrv")[1]
    station = await edrv.async_get_station(station_id)
    assert station.id == station_id
    sim.set_online("edrv", station_id, False)
    assert (await edrv.async_get_station(station_id)).online is False
    with pytest.raises(CpmsNotFoundError):
        await edrv.async_get_station("000000000000000000000000")


async def test_connector_status_follows_the_station(sim: Simulator, edrv: EdrvClient) -> None:
    station = await first_station(edrv)
    await edrv.async_start_session(station.connectors[0])
    await sim.advance(60)
    current = await edrv.async_get_station(station.id)
    assert current.connectors[0].status is ConnectorStatus.CHARGING


async def test_users(sim: Simulator, edrv: EdrvClient) -> None:
    users = await edrv.async_get_users()
    assert {u.id for u in users} == set(sim.edrv_user_ids)
    assert {u.name for u in users} == {"Home Assistant", "Zoë Janssen"}
    assert all(u.email for u in users)


async def test_lists_are_paged(make_sim: SimFactory, http: aiohttp.ClientSession) -> None:
    names = tuple(f"User {n}" for n in range(5))
    sim = await make_sim(stations=5, max_page_size=2, users=names)
    edrv = client_for(sim, http)
    assert len(await edrv.async_get_stations()) == 5
    assert len(await edrv.async_get_users()) == 5
    # The first list read also asks for page 0 once, to learn where pages start.
    assert sim.counters["edrv GET /chargestations"] == 3 + 1
    assert sim.counters["edrv GET /users"] == 3


async def test_paging_stops_at_the_page_cap(
    make_sim: SimFactory,
    http: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(edrv_client_module, "MAX_PAGES", 2)
    sim = await make_sim(stations=5, max_page_size=1)
    with caplog.at_level(logging.WARNING):
        stations = await client_for(sim, http).async_get_stations()
    assert len(stations) == 2
    assert sim.counters["edrv GET /chargestations"] == 2 + 1
    assert "more than 2 pages" in caplog.text


# --- sessions ---------------------------------------------------------------------


async def test_start_then_read_the_session(sim: Simulator, edrv: EdrvClient) -> None:
    station = await first_station(edrv)
    connector = station.connectors[0]
    session = await edrv.async_start_session(connector)
    assert session.status is SessionStatus.CREATED
    assert session.ref == SessionRef(edrv_session_id=session.id)
    assert (session.station_id, session.connector_id) == (station.id, connector.id)
    assert session.started_at is None

    await sim.advance(300)
    current = await edrv.async_get_session(session)
    assert current is not None
    assert current.status is SessionStatus.STARTED
    assert current.energy_wh is not None
    assert current.energy_wh > 0
    assert current.power_w == pytest.approx(11000, rel=0.05)
    assert current.current_a == pytest.approx(16, rel=0.05)
    assert current.soc is not None
    assert 30 < current.soc < 100
    assert current.cost is not None
    assert current.cost.currency == "EUR"
    assert current.started_at is not None


async def test_quirky_session_reads_the_same(sim: Simulator, edrv: EdrvClient) -> None:
    """Every second session writes strings, W and lowercase "started"; values stay equal."""
    plain = await started_session(sim, edrv, 0)
    quirky = await started_session(sim, edrv, 1)
    assert quirky.status is plain.status is SessionStatus.STARTED
    assert isinstance(quirky.energy_wh, float)
    assert quirky.power_w == pytest.approx(22000, rel=0.05)
    assert plain.power_w == pytest.approx(11000, rel=0.05)
    assert quirky.soc is not None
    assert quirky.soc > 1  # a unitless SoC above 1 is a percentage already


async def test_start_with_targets(
    sim: Simulator, edrv: EdrvClient, http: aiohttp.ClientSession
) -> None:
    station = await first_station(edrv)
    session = await edrv.async_start_session(
        station.connectors[0], energy_kwh=10, time_min=90, cost=5.5
    )
    url = f"{sim.edrv_base_url}/sessions/{session.id}"
    headers = {"Authorization": f"Bearer {sim.edrv_api_key}"}
    async with http.get(url, headers=headers) as response:
        body = await response.json()
    assert body["result"]["target"] == {"energy": 10, "time": 90, "cost": 5.5}


async def test_start_needs_a_user(sim: Simulator, http: aiohttp.ClientSession) -> None:
    edrv = client_for(sim, http)
    station = await first_station(edrv)
    with pytest.raises(ValueError, match="user"):
        await edrv.async_start_session(station.connectors[0])
    assert START not in sim.counters


async def test_session_ends_after_stop(sim: Simulator, edrv: EdrvClient) -> None:
    session = await started_session(sim, edrv)
    station = await first_station(edrv)
    await edrv.async_stop_session(session, station.connectors[0])
    await sim.advance(60)
    ended = await edrv.async_get_session(session)
    assert ended is not None
    assert ended.status is SessionStatus.ENDED
    assert ended.ended_at is not None
    assert ended.power_w == 0
    # Stopping again is refused by eDRV: the session is no longer active.
    with pytest.raises(CpmsRejectedError) as caught:
        await edrv.async_stop_session(ended, station.connectors[0])
    assert caught.value.code == "Bad Request"
    assert "not active" in caught.value.message


async def test_cancelled_when_never_plugged_in(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(plugged_in=False)
    edrv = client_for(sim, http, user_id=sim.edrv_user_ids[0])
    station = await first_station(edrv)
    session = await edrv.async_start_session(station.connectors[0])
    await sim.advance(600)
    current = await edrv.async_get_session(session)
    assert current is not None
    assert current.status is SessionStatus.CANCELLED
    assert await edrv.async_get_active_sessions() == []


async def test_unknown_session_reads_as_none(edrv: EdrvClient) -> None:
    ghost = Session(id="nope", station_id="s", connector_id="c", status=SessionStatus.STARTED)
    assert await edrv.async_get_session(ghost) is None


async def test_active_sessions_and_lookup_by_connector(sim: Simulator, edrv: EdrvClient) -> None:
    station = await first_station(edrv)
    first, second = station.connectors
    assert await edrv.async_get_active_sessions() == []
    assert await edrv.async_find_active_session(first) is None

    running = await started_session(sim, edrv, 0)
    pending = await edrv.async_start_session(second)
    active = await edrv.async_get_active_sessions()
    assert {(s.id, s.status) for s in active} == {
        (running.id, SessionStatus.STARTED),
        (pending.id, SessionStatus.CREATED),
    }
    found = await edrv.async_find_active_session(first)
    assert found is not None
    assert found.id == running.id
    found = await edrv.async_find_active_session(second)
    assert found is not None
    assert found.id == pending.id

    await edrv.async_stop_session(running, first)
    await sim.advance(30)
    assert await edrv.async_find_active_session(first) is None


async def test_local_start_is_an_active_session(sim: Simulator, edrv: EdrvClient) -> None:
    station_id = sim.station_ids("edrv")[0]
    session_id = sim.local_start("edrv", station_id, 2, "04A1B2C3")
    await sim.advance(10)
    [session] = await edrv.async_get_active_sessions()
    assert session.id == session_id
    assert session.connector_id == sim.connector_ids("edrv", station_id)[1]


# --- current limit ----------------------------------------------------------------


async def test_current_limit_on_session_and_connector(sim: Simulator, edrv: EdrvClient) -> None:
    session = await started_session(sim, edrv)
    connector = (await first_station(edrv)).connectors[0]
    await edrv.async_set_current_limit(connector, session, 10)
    await edrv.async_set_current_limit(connector, None, 12.5)
    assert sim.counters["edrv POST /sessions/{id}/set_power_limit"] == 1
    assert sim.counters["edrv POST /connectors/{id}/set_default_power_limit"] == 1


async def test_current_limit_errors(sim: Simulator, edrv: EdrvClient) -> None:
    connector = (await first_station(edrv)).connectors[0]
    with pytest.raises(CpmsRejectedError):
        await edrv.async_set_current_limit(connector, None, 0)
    sim.set_online("edrv", connector.station_id, False)
    with pytest.raises(CpmsStationOfflineError):
        await edrv.async_set_current_limit(connector, None, 16)
    sim.faults.error_rate_5xx = 1.0
    with pytest.raises(CpmsConnectionError):
        await edrv.async_set_current_limit(connector, None, 16)
    # A command is never retried.
    assert sim.counters["edrv POST /connectors/{id}/set_default_power_limit"] == 3


# --- errors -------------------------------------------------------------------------


async def test_offline_station_refuses_a_start(sim: Simulator, edrv: EdrvClient) -> None:
    station = await first_station(edrv)
    sim.set_online("edrv", station.id, False)
    with pytest.raises(CpmsStationOfflineError, match="offline"):
        await edrv.async_start_session(station.connectors[0])


async def test_busy_connector_is_rejected(sim: Simulator, edrv: EdrvClient) -> None:
    connector = (await first_station(edrv)).connectors[0]
    await edrv.async_start_session(connector)
    with pytest.raises(CpmsRejectedError) as caught:
        await edrv.async_start_session(connector)
    assert caught.value.code == "Bad Request"
    assert "busy" in caught.value.message


async def test_unknown_connector_or_user(sim: Simulator, http: aiohttp.ClientSession) -> None:
    edrv = client_for(sim, http, user_id="ffffffffffffffffffffffff")
    station = await first_station(edrv)
    with pytest.raises(CpmsNotFoundError):
        await edrv.async_start_session(station.connectors[0])


@pytest.mark.parametrize(
    ("failure", "error", "code"),
    [
        ("Connector is busy", CpmsRejectedError, "Bad Request"),
        ("409 Session already exists", CpmsRejectedError, "Conflict"),
        ("422 target.energy must be a positive number", CpmsRejectedError, "Unprocessable Content"),
        ("404 Connector not found", CpmsNotFoundError, None),
        ("406 Chargestation is offline", CpmsStationOfflineError, None),
        ("401 jwt expired", CpmsAuthenticationError, "jwt expired"),
        ("500 boom", CpmsConnectionError, None),
        ("503 maintenance", CpmsConnectionError, None),
    ],
)
async def test_start_failures_are_mapped_and_never_retried(
    sim: Simulator,
    edrv: EdrvClient,
    sleep: RecordedSleep,
    *,
    failure: str,
    error: type[Exception],
    code: str | None,
) -> None:
    connector = (await first_station(edrv)).connectors[0]
    sim.faults.fail_next_start = failure
    with pytest.raises(error) as caught:
        await edrv.async_start_session(connector)
    if code is not None:
        assert getattr(caught.value, "code", None) == code
    assert sim.counters[START] == 1
    assert sleep.delays == []


async def test_start_is_not_retried_on_5xx_or_429(sim: Simulator, edrv: EdrvClient) -> None:
    connector = (await first_station(edrv)).connectors[0]
    sim.faults.error_rate_5xx = 1.0
    with pytest.raises(CpmsConnectionError):
        await edrv.async_start_session(connector)
    sim.faults.error_rate_5xx = 0.0
    sim.faults.rate_limit_next = 1
    with pytest.raises(CpmsRateLimitError) as caught:
        await edrv.async_start_session(connector)
    assert caught.value.retry_after == 30
    assert sim.counters[START] == 2


@pytest.mark.parametrize(
    ("failure", "error"),
    [("500 boom", CpmsConnectionError), ("406 Chargestation is offline", CpmsStationOfflineError)],
)
async def test_stop_failures_are_mapped_and_never_retried(
    sim: Simulator, edrv: EdrvClient, failure: str, error: type[Exception]
) -> None:
    session = await started_session(sim, edrv)
    connector = (await first_station(edrv)).connectors[0]
    sim.faults.fail_next_stop = failure
    with pytest.raises(error):
        await edrv.async_stop_session(session, connector)
    assert sim.counters[STOP] == 1


async def test_stop_refused_by_the_station(sim: Simulator, edrv: EdrvClient) -> None:
    session = await started_session(sim, edrv)
    connector = (await first_station(edrv)).connectors[0]
    sim.faults.fail_next_stop = "station said no"
    await edrv.async_stop_session(session, connector)
    await sim.advance(60)
    current = await edrv.async_get_session(session)
    assert current is not None
    assert current.status is SessionStatus.STARTED


async def test_wrong_key(sim: Simulator, http: aiohttp.ClientSession) -> None:
    edrv = EdrvClient(http, "wrong-key-123", base_url=sim.edrv_base_url)
    with pytest.raises(CpmsAuthenticationError) as caught:
        await edrv.async_get_stations()
    assert caught.value.code == "Unauthorized"
    assert "wrong-key-123" not in str(caught.value)


async def test_revoked_key(sim: Simulator, edrv: EdrvClient, sleep: RecordedSleep) -> None:
    sim.faults.key_revoked = True
    with pytest.raises(CpmsAuthenticationError) as caught:
        await edrv.async_get_users()
    assert caught.value.code == "jwt expired"
    assert sim.edrv_api_key not in str(caught.value)
    assert sleep.delays == []  # an auth failure is not retried


# --- read retries -------------------------------------------------------------------


async def test_reads_retry_5xx_a_bounded_number_of_times(
    sim: Simulator, edrv: EdrvClient, sleep: RecordedSleep
) -> None:
    sim.faults.error_rate_5xx = 1.0
    with pytest.raises(CpmsConnectionError):
        await edrv.async_get_stations()
    assert sim.counters["edrv GET /chargestations"] == 3
    assert sleep.delays == [1.0, 2.0]


async def test_reads_wait_out_a_rate_limit(
    sim: Simulator, edrv: EdrvClient, sleep: RecordedSleep
) -> None:
    sim.faults.rate_limit_next = 2
    sim.faults.retry_after_s = 7
    assert len(await edrv.async_get_users()) == 2
    assert sleep.delays == [7.0, 7.0]
    assert sim.counters["edrv GET /users"] == 3 + 1  # and page 0, asked once


async def test_long_retry_after_is_left_to_the_caller(
    sim: Simulator, edrv: EdrvClient, sleep: RecordedSleep
) -> None:
    sim.faults.rate_limit_next = 1
    sim.faults.retry_after_s = 600
    ghost = Session(id="x", station_id="s", connector_id="c", status=SessionStatus.STARTED)
    with pytest.raises(CpmsRateLimitError) as caught:
        await edrv.async_get_session(ghost)
    assert caught.value.retry_after == 600
    assert sleep.delays == []
    assert sim.counters[GET_SESSION] == 1


async def test_session_lists_retry_too(
    sim: Simulator, edrv: EdrvClient, sleep: RecordedSleep
) -> None:
    sim.faults.rate_limit_next = 1
    sim.faults.retry_after_s = 1
    assert await edrv.async_get_active_sessions() == []
    assert sleep.delays == [1.0]
    # The page base is learnt from the stations (the retried call); then "Started", "started"
    # and "created".
    assert sim.counters[LIST_SESSIONS] == 3
