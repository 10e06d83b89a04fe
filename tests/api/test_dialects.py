"""The clients in every dialect the simulator speaks: what the docs leave open, survived."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.cpms.api import (
    CloudObservations,
    CpmsAccessDeniedError,
    CpmsServerError,
    EdrvClient,
    SessionStatus,
    ThorClient,
)
from custom_components.cpms.api.edrv.units import EdrvUnits
from custom_components.cpms.api.thor import DEFAULT_BASE_URL
from custom_components.cpms.api.thor.client import DEFAULT_COMMAND_URL
from simulator import Simulator

from .conftest import RecordedSleep, SimFactory

LIST_SESSIONS = "edrv GET /sessions"


def edrv_client(sim: Simulator, http: aiohttp.ClientSession) -> EdrvClient:
    return EdrvClient(
        http,
        sim.edrv_api_key,
        base_url=sim.edrv_base_url,
        user_id=sim.edrv_user_ids[0],
        sleep=RecordedSleep(),
    )


def thor_client(sim: Simulator, http: aiohttp.ClientSession, **options: object) -> ThorClient:
    return ThorClient(
        http,
        sim.thor_api_key,
        base_url=sim.thor_base_url,
        sleep=RecordedSleep(),
        **options,  # type: ignore[arg-type]
    )


# --- eDRV ---------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["docs", "stop-no-result", "stop-empty"])
async def test_edrv_stop_accepted_whatever_the_body(
    make_sim: SimFactory, http: aiohttp.ClientSession, dialect: str
) -> None:
    """Point 2: any 2xx that is not ok:false is a stop requested."""
    sim = await make_sim(edrv_dialect=dialect)
    edrv = edrv_client(sim, http)
    connector = (await edrv.async_get_stations())[0].connectors[0]
    session = await edrv.async_start_session(connector)
    await sim.advance(10)
    await edrv.async_stop_session(session, connector)
    await sim.advance(10)
    ended = await edrv.async_get_session(session)
    assert ended is not None
    assert ended.status is SessionStatus.ENDED
    expected = {"docs": "envelope with result", "stop-no-result": "envelope, no result"}
    assert edrv.observations.facts["eDRV stop answer"] == expected.get(dialect, "empty")


async def test_edrv_start_answer_without_station_or_connector(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    """Point 10: the start happened; the session is on the connector that was asked for."""
    sim = await make_sim(edrv_dialect="start-id-only")
    edrv = edrv_client(sim, http)
    connector = (await edrv.async_get_stations())[1].connectors[1]
    session = await edrv.async_start_session(connector)
    assert session.ref.edrv_session_id == session.id != ""
    assert (session.station_id, session.connector_id) == (connector.station_id, connector.id)
    assert session.status is SessionStatus.CREATED
    assert edrv.observations.facts["eDRV start answer"] == (
        "session without chargestation and connector"
    )


@pytest.mark.parametrize(
    ("dialect", "behaviour", "queries"),
    [
        ("docs", "exact case", 3),
        ("filters-folded", "any case", 2),
        ("filters-ignored", "ignored", 1),
        ("pages-0-based", "exact case", 3),
    ],
)
async def test_edrv_active_sessions_in_every_listing_dialect(
    make_sim: SimFactory,
    http: aiohttp.ClientSession,
    *,
    dialect: str,
    behaviour: str,
    queries: int,
) -> None:
    """Point 5: filters honoured, ignored or case-sensitive, pages from 0 or 1: all found."""
    sim = await make_sim(edrv_dialect=dialect, variant="alternate")
    edrv = edrv_client(sim, http)
    stations = await edrv.async_get_stations()
    assert len(stations) == 2  # a 0-based API read as 1-based would show none
    plugs = [station.connectors[0] for station in stations] + [stations[0].connectors[1]]
    done = await edrv.async_start_session(plugs[0])
    await sim.advance(10)
    await edrv.async_stop_session(done, plugs[0])
    await sim.advance(10)
    running = [await edrv.async_start_session(plug) for plug in plugs[1:]]
    await sim.advance(10)  # both start: one says "Started", the other "started"
    pending = await edrv.async_start_session(plugs[0])  # created, not started yet
    active = await edrv.async_get_active_sessions()
    assert {s.id for s in active} == {running[0].id, running[1].id, pending.id}
    assert edrv.observations.facts["eDRV status filter"] == behaviour
    assert edrv.observations.facts["eDRV first page number"] == (
        "0" if dialect == "pages-0-based" else "1"
    )
    sim.reset_counters()
    await edrv.async_get_active_sessions()
    assert sim.counters[LIST_SESSIONS] == queries


async def test_edrv_ignored_filter_never_reads_the_whole_history(
    make_sim: SimFactory, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Newest first, listing stops at sessions too old to be active."""
    sim = await make_sim(edrv_dialect="filters-ignored", max_page_size=2)
    edrv = edrv_client(sim, http)
    plug = (await edrv.async_get_stations())[0].connectors[0]
    for _ in range(6):
        session = await edrv.async_start_session(plug)
        await sim.advance(10)
        await edrv.async_stop_session(session, plug)
        await sim.advance(3 * 86_400)  # each one older than the horizon by the next
    monkeypatch.setattr("custom_components.cpms.api.edrv.client.PAGE_SIZE", 2)
    sim.reset_counters()
    assert await edrv.async_get_active_sessions() == []
    assert sim.counters[LIST_SESSIONS] == 1


def test_edrv_unitless_state_of_charge() -> None:
    """Point 11: percent on OCPP 1.6 and after a value above 1; else a fraction."""
    units = EdrvUnits(CloudObservations())
    units.learn_station("st-16", "ocpp1.6")
    units.learn_station("st-201", "ocpp2.0.1")
    unitless = {"value": 1, "unit": None}
    assert units.soc(unitless, session_id="a", station_id="st-16") == 1
    assert units.soc({"value": 0.52}, session_id="b", station_id="st-201") == 52
    assert units.soc({"value": "45"}, session_id="c", station_id="st-201") == 45
    assert units.soc({"value": 0.9}, session_id="c", station_id="st-201") == 0.9
    assert units.soc({"value": 80, "unit": "Percent"}, session_id="d", station_id="x") == 80
    assert units.soc({"value": 300}, session_id="e", station_id="x") is None


# --- Thor ---------------------------------------------------------------------------


def test_thor_command_host_defaults() -> None:
    """Point 1: the documented hosts by default; a custom read address serves both."""
    session = aiohttp.ClientSession.__new__(aiohttp.ClientSession)
    assert ThorClient(session, "k").command_url == DEFAULT_COMMAND_URL
    custom = ThorClient(session, "k", base_url="http://127.0.0.1:9/thor/")
    assert custom.command_url == "http://127.0.0.1:9/thor"
    assert DEFAULT_BASE_URL != DEFAULT_COMMAND_URL


async def test_thor_command_host_falls_back_once_and_remembers(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    """Point 1: the command host refuses the key; the read host takes it, and is kept."""
    sim = await make_sim(thor_dialect="one-host")
    remembered: list[str] = []
    thor = thor_client(
        sim, http, command_url=sim.thor_command_base_url, on_command_url=remembered.append
    )
    connector = (await thor.async_get_stations())[0].connectors[0]
    session = await thor.async_start_session(connector)
    await sim.advance(60)
    running = await thor.async_get_session(session)
    assert running is not None
    await thor.async_stop_session(running, connector)
    assert remembered == [sim.thor_base_url]
    assert thor.command_url == sim.thor_base_url
    assert thor.observations.facts["Thor host accepting commands"] == sim.thor_base_url
    assert sim.counters["thor-dev POST /charges/start"] == 1
    assert sim.counters["thor POST /charges/start"] == 1
    assert "thor-dev POST /charges/stop" not in sim.counters  # straight to the remembered one


async def test_thor_unreachable_command_host_falls_back(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    """A command host that cannot be reached at all: nothing was sent, so the other one is."""
    sim = await make_sim(thor_dialect="one-host")
    thor = thor_client(sim, http, command_url="http://127.0.0.1:9/latest/integration")
    connector = (await thor.async_get_stations())[0].connectors[0]
    await thor.async_start_session(connector)
    assert thor.command_url == sim.thor_base_url


async def test_thor_key_refused_for_commands_everywhere_is_no_auth_error(
    make_sim: SimFactory, http: aiohttp.ClientSession
) -> None:
    """Point 1: reads work, commands are refused on both hosts: access denied, not reauth."""
    sim = await make_sim()
    thor = thor_client(sim, http, command_url=sim.thor_base_url)  # the docs' hosts, swapped
    connector = (await thor.async_get_stations())[0].connectors[0]
    with pytest.raises(CpmsAccessDeniedError) as caught:
        await thor.async_start_session(connector)
    assert caught.value.code == "APIKeyNotFound"
    assert sim.thor_base_url in str(caught.value)


@pytest.mark.parametrize("code", ["RestAPINotEnabled", "InvalidSourceIPAddr"])
async def test_thor_dashboard_refusals_are_access_errors(
    make_sim: SimFactory, http: aiohttp.ClientSession, code: str
) -> None:
    """Point 7: a dashboard setting, not a bad key; InternalServerError: the cloud failed."""
    sim = await make_sim()
    thor = thor_client(sim, http, command_url=sim.thor_command_base_url)
    sim.faults.refuse_requests = f"403 {code}"
    with pytest.raises(CpmsAccessDeniedError) as caught:
        await thor.async_get_stations()
    assert caught.value.code == code
    sim.faults.refuse_requests = "500 InternalServerError"
    with pytest.raises(CpmsServerError, match="failed"):
        await thor.async_get_stations()
