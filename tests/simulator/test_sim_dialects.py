"""Dialects: the simulator answers in each reading of what the docs leave open."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from simulator import SimulatorError
from simulator.dialects import EDRV_DIALECTS, THOR_DIALECTS, dialect_names

from .helpers import Api

if TYPE_CHECKING:
    import aiohttp

    from simulator import Simulator

    from .conftest import MakeSim
    from .helpers import Receiver


def _connector(sim: Simulator, number: int = 1) -> str:
    return sim.connector_ids("edrv", sim.station_ids("edrv")[0])[number - 1]


async def _started(api: Api, sim: Simulator) -> dict[str, Any]:
    body = {"connector": _connector(sim), "user": sim.edrv_user_ids[0]}
    status, answer = await api.edrv("POST", "/sessions", body)
    assert status == 200, answer
    await sim.advance(3)
    result: dict[str, Any] = answer["result"]
    return result


async def _raw(http: aiohttp.ClientSession, sim: Simulator, path: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {sim.edrv_api_key}"}
    async with http.get(sim.edrv_base_url + path, headers=headers) as response:
        return response.status, await response.read()


def test_docs_comes_first_and_names_are_unique() -> None:
    assert dialect_names("edrv")[0] == dialect_names("thor")[0] == "docs"
    assert len(EDRV_DIALECTS) == len(set(EDRV_DIALECTS)) > 10
    assert set(THOR_DIALECTS) >= {"docs", "one-host", "meters-without-kwh", "stop-kwh-in-kwh"}


async def test_switch_over_the_control_api(api: Api, sim: Simulator) -> None:
    status, body = await api.control("GET", "/dialect")
    assert (status, body["edrv"], body["thor"]) == (200, "docs", "docs")
    assert body["known"]["edrv"] == dialect_names("edrv")
    status, body = await api.control("POST", "/dialect", {"provider": "edrv", "name": "stop-empty"})
    assert (status, body["edrv"]) == (200, "stop-empty")
    assert sim.state()["dialects"] == {"edrv": "stop-empty", "thor": "docs"}
    for wrong in ({"provider": "edrv", "name": "nope"}, {"provider": "ocpp", "name": "docs"}):
        status, body = await api.control("POST", "/dialect", wrong)
        assert status == 400
        assert "dialect" in body["error"] or "provider" in body["error"]
    with pytest.raises(SimulatorError):
        sim.set_dialect("thor", "stop-empty")


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("docs", {"ok", "message", "result"}),
        ("stop-no-result", {"ok", "message"}),
        ("stop-empty", None),
    ],
)
async def test_stop_answers(
    make_sim: MakeSim, http: aiohttp.ClientSession, dialect: str, expected: set[str] | None
) -> None:
    sim = await make_sim(edrv_dialect=dialect)
    session = await _started(Api(http, sim), sim)
    status, raw = await _raw(http, sim, f"/sessions/{session['_id']}/stop")
    assert status == 200
    assert (set(json.loads(raw)) if raw else None) == expected


@pytest.mark.parametrize(
    ("dialect", "spelling", "found"),
    [
        ("docs", "Started", 1),
        ("docs", "started", 0),
        ("filters-folded", "started", 1),
        ("filters-ignored", "Ended", 2),
    ],
)
async def test_status_filter(
    make_sim: MakeSim, http: aiohttp.ClientSession, dialect: str, spelling: str, found: int
) -> None:
    sim = await make_sim(edrv_dialect=dialect)
    api = Api(http, sim)
    await _started(api, sim)
    await api.edrv("POST", "/sessions", {"connector": _connector(sim, 2), "user": "0" * 24})
    body = {"connector": _connector(sim, 2), "user": sim.edrv_user_ids[0]}
    await api.edrv("POST", "/sessions", body)  # created, not started yet
    _, answer = await api.edrv("GET", f"/sessions?status={spelling}")
    assert len(answer["result"]) == found
    _, by_connector = await api.edrv("GET", f"/sessions?connector={_connector(sim)}")
    assert len(by_connector["result"]) == (2 if dialect == "filters-ignored" else 1)


async def test_zero_based_pages(make_sim: MakeSim, http: aiohttp.ClientSession) -> None:
    sim = await make_sim(edrv_dialect="pages-0-based", stations=3)
    api = Api(http, sim)
    _, first = await api.edrv("GET", "/chargestations?paginate_limit=2&paginate_page=0")
    _, second = await api.edrv("GET", "/chargestations?paginate_limit=2&paginate_page=1")
    assert (len(first["result"]), len(second["result"])) == (2, 1)
    assert (first["hasNext"], second["hasPrevious"]) == (True, True)
    status, _ = await api.edrv("GET", "/chargestations?paginate_page=-1")
    assert status == 400
    sim.set_dialect("edrv", "docs")
    status, _ = await api.edrv("GET", "/chargestations?paginate_page=0")
    assert status == 400


async def test_start_result_with_only_the_id(
    make_sim: MakeSim, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(edrv_dialect="start-id-only")
    body = {"connector": _connector(sim), "user": sim.edrv_user_ids[0]}
    _, answer = await Api(http, sim).edrv("POST", "/sessions", body)
    assert set(answer["result"]) == {"_id", "status"}


@pytest.mark.parametrize(("dialect", "named"), [("docs", False), ("action-with-station", True)])
async def test_connector_default_action(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver, dialect: str, named: bool
) -> None:
    sim = await make_sim(edrv_dialect=dialect)
    api = Api(http, sim)
    path = f"/connectors/{_connector(sim)}/set_default_power_limit"
    _, answer = await api.edrv("POST", path, {"unit": "current", "limit": 10})
    assert ("chargestation" in answer["result"]) is named
    receiver.clear()
    await sim.advance(2)
    await sim.flush_webhooks()
    (accepted,) = [p for p in receiver.payloads("edrv") if p["object"] == "action"]
    assert ("chargestation" in accepted["data"]) is named
    assert accepted["data"]["connector"] == _connector(sim)


async def test_new_session_events(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim = await make_sim(edrv_dialect="new-events")
    await _started(Api(http, sim), sim)
    await sim.advance(30)
    await sim.flush_webhooks()
    new = [p for p in receiver.payloads("edrv") if p["type"] == "session.energy_report.updated"]
    assert new
    assert set(new[0]["data"]) == {"_id", "energy_report"}


async def test_thor_hosts(make_sim: MakeSim, http: aiohttp.ClientSession) -> None:
    """Docs: commands on the command host only; one-host: everything on the read host."""
    sim = await make_sim()
    headers = {"X-Api-Key": sim.thor_api_key}
    body = {"chargebox": sim.station_ids("thor")[0], "connector": 1}

    async def post(base: str) -> tuple[int, str]:
        async with http.post(base + "/charges/start", json=body, headers=headers) as response:
            return response.status, await response.text()

    async def get(base: str) -> int:
        async with http.get(base + "/chargeboxes", headers=headers) as response:
            return response.status

    status, text = await post(sim.thor_base_url)
    assert (status, "APIKeyNotFound" in text) == (403, True)
    assert await get(sim.thor_base_url) == await get(sim.thor_command_base_url) == 200
    assert (await post(sim.thor_command_base_url))[0] == 200
    sim.set_dialect("thor", "one-host")
    assert (await post(sim.thor_command_base_url))[0] == 403
    assert await get(sim.thor_command_base_url) == 403
    assert sim.counters["thor-dev POST /charges/start"] == 2
    assert sim.counters["thor POST /charges/start"] == 1


@pytest.mark.parametrize("dialect", ["docs", "meters-without-kwh", "stop-kwh-in-kwh"])
async def test_thor_energy_fields(
    make_sim: MakeSim, api: Api, receiver: Receiver, dialect: str
) -> None:
    sim = await make_sim(thor_dialect=dialect)
    api = Api(api.http, sim)
    box = sim.station_ids("thor")[0]
    sim.local_start("thor", box, 1, "CARD")
    await sim.advance(600)
    await api.thor("POST", "/charges/stop", {"chargebox": box, "connector": 1, "id_tag": "CARD"})
    await sim.advance(5)
    await sim.flush_webhooks()
    notes = receiver.payloads("thor")
    meters = [n for n in notes if n.get("type") == "meters"]
    (stop,) = [n for n in notes if n.get("type") == "stop_transaction"]
    assert meters
    assert all(("kwh" in n) is (dialect != "meters-without-kwh") for n in meters)
    if dialect == "stop-kwh-in-kwh":
        assert 0 < stop["kwh"] < 10  # 10 minutes at 11 kW: under 2 kWh
    else:
        assert stop["kwh"] > 1000
