"""Stations joining and leaving the account while the simulator runs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from simulator import SimulatorError

from .helpers import Api

if TYPE_CHECKING:
    import aiohttp

    from simulator import Simulator

    from .conftest import MakeSim
    from .helpers import Receiver

OBJECT_ID = re.compile(r"[0-9a-f]{24}")
CHARGEBOX_ID = re.compile(r"smartbit-[0-9a-f]{11}")


async def _edrv_listing(api: Api) -> list[str]:
    status, body = await api.edrv("GET", "/chargestations?sort_order=asc")
    assert status == 200, body
    return [s["_id"] for s in body["result"]]


async def _thor_listing(api: Api) -> list[str]:
    return [box["id"] for box in await api.thor_json("GET", "/chargeboxes")]


async def _sent(sim: Simulator, receiver: Receiver, name: str) -> list[Any]:
    await sim.flush_webhooks()
    payloads = receiver.payloads(name)
    receiver.clear()
    return payloads


def _state_stations(sim: Simulator, provider: str) -> list[dict[str, Any]]:
    state: Any = sim.state()
    stations: list[dict[str, Any]] = state["stations"][provider]
    return stations


def _state_station(sim: Simulator, provider: str, station_id: str) -> dict[str, Any]:
    return next(s for s in _state_stations(sim, provider) if s["id"] == station_id)


# eDRV


async def test_add_edrv_station_lists_it_and_sends_online(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    before = await _edrv_listing(api)
    assert before == sim.station_ids("edrv")

    station_id = sim.add_station("edrv")
    assert OBJECT_ID.fullmatch(station_id)
    assert station_id not in before
    assert sim.station_ids("edrv") == [*before, station_id]
    assert await _edrv_listing(api) == [*before, station_id]
    _, newest_first = await api.edrv("GET", "/chargestations?paginate_limit=1")
    assert newest_first["result"][0]["_id"] == station_id

    status, answer = await api.edrv("GET", f"/chargestations/{station_id}")
    assert status == 200
    station = answer["result"]
    assert station["endpoint"] == "HA-SIM-03"
    assert station["online"] is True
    assert station["lastDisconnectAt"] is None
    assert station["createdAt"] == station["lastConnectAt"]
    connectors = station["connectors"]
    assert [c["_id"] for c in connectors] == sim.connector_ids("edrv", station_id)
    assert all(OBJECT_ID.fullmatch(c["_id"]) for c in connectors)
    assert [(c["power"], c["status"]) for c in connectors] == [
        (11.0, "Preparing"),
        (22.0, "Preparing"),
    ]
    assert all(c["plugged"] for c in _state_station(sim, "edrv", station_id)["connectors"])

    (online,) = await _sent(sim, receiver, "edrv")
    assert (online["type"], online["object"]) == ("chargestation.online", "chargestation")
    assert online["data"] == station
    assert await _sent(sim, receiver, "thor") == []


async def test_added_edrv_station_takes_sessions(api: Api, sim: Simulator) -> None:
    station_id = sim.add_station("edrv", connectors=1)
    (connector,) = sim.connector_ids("edrv", station_id)
    body = {"connector": connector, "user": sim.edrv_user_ids[0]}
    status, answer = await api.edrv("POST", "/sessions", body)
    assert status == 200, answer
    await sim.advance(2)
    status, answer = await api.edrv("GET", f"/sessions/{answer['result']['_id']}")
    assert (answer["result"]["status"], answer["result"]["chargestation"]) == (
        "Started",
        station_id,
    )


async def test_remove_edrv_station(api: Api, sim: Simulator, receiver: Receiver) -> None:
    first, second = sim.station_ids("edrv")
    connector = sim.connector_ids("edrv", second)[0]
    sim.remove_station("edrv", second)

    assert sim.station_ids("edrv") == [first]
    assert await _edrv_listing(api) == [first]
    assert await api.edrv("GET", f"/chargestations/{second}") == (
        404,
        {"ok": False, "message": "Chargestation not found", "result": None},
    )
    status, answer = await api.edrv(
        "POST", "/sessions", {"connector": connector, "user": sim.edrv_user_ids[0]}
    )
    assert (status, answer["message"]) == (404, "Connector not found")
    assert [s["id"] for s in _state_stations(sim, "edrv")] == [first]
    assert await _sent(sim, receiver, "edrv") == []
    with pytest.raises(SimulatorError, match="no edrv station"):
        sim.remove_station("edrv", second)


async def test_remove_drops_steps_still_due(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim = await make_sim(plugged_in=False)
    api = Api(http, sim)
    station_id = sim.station_ids("edrv")[0]
    connector = sim.connector_ids("edrv", station_id)[0]
    status, _ = await api.edrv(
        "POST",
        f"/connectors/{connector}/set_default_power_limit",
        {"unit": "power", "limit": 7000},
    )
    assert status == 200
    sim.plug("edrv", station_id, 2)  # Preparing while plugged in
    assert [p["type"] for p in await _sent(sim, receiver, "edrv")] == [
        "chargestation.connector_status.updated"
    ]
    sim.remove_station("edrv", station_id)
    await sim.advance(300)
    assert await _sent(sim, receiver, "edrv") == []


async def test_remove_edrv_station_refused_during_a_session(
    make_sim: MakeSim, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(plugged_in=False)
    api = Api(http, sim)
    station_id = sim.station_ids("edrv")[0]
    connector = sim.connector_ids("edrv", station_id)[1]
    body = {"connector": connector, "user": sim.edrv_user_ids[0]}
    status, answer = await api.edrv("POST", "/sessions", body)
    assert status == 200, answer
    # Waiting for a vehicle still holds the connector.
    with pytest.raises(SimulatorError, match="session on connector 2"):
        sim.remove_station("edrv", station_id)
    sim.plug("edrv", station_id, 2)
    await sim.advance(2)
    with pytest.raises(SimulatorError, match="session"):
        sim.remove_station("edrv", station_id)
    assert station_id in sim.station_ids("edrv")

    sim.unplug("edrv", station_id, 2)  # ends the session
    sim.remove_station("edrv", station_id)
    assert station_id not in sim.station_ids("edrv")
    _, sessions = await api.edrv("GET", f"/sessions?chargestation={station_id}")
    assert [s["status"] for s in sessions["result"]] == ["Ended"]


async def test_names_are_not_reused(api: Api, sim: Simulator) -> None:
    added = sim.add_station("edrv")
    sim.remove_station("edrv", added)
    again = sim.add_station("edrv")
    assert again != added
    _, answer = await api.edrv("GET", f"/chargestations/{again}")
    assert answer["result"]["endpoint"] == "HA-SIM-04"
    assert sim.add_station("thor") != sim.add_station("thor")


# Thor


async def test_add_thor_station_lists_it_and_sends_nothing(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    before = await _thor_listing(api)
    assert before == sim.station_ids("thor")

    box_id = sim.add_station("thor", connectors=3)
    assert CHARGEBOX_ID.fullmatch(box_id)
    assert box_id not in before
    assert await _thor_listing(api) == [*before, box_id]
    box = await api.thor_json("GET", f"/chargeboxes/{box_id}")
    assert (box["alias"], box["connected"], box["active"]) == ("Garage 3", True, True)
    assert [c["power"] for c in box["connectors"]] == [11000, 22000, 11000]
    assert sim.connector_ids("thor", box_id) == [f"{box_id}_{n}" for n in (1, 2, 3)]

    assert await _sent(sim, receiver, "thor") == []
    assert await _sent(sim, receiver, "edrv") == []
    assert sim.webhook_counters == {}

    # It charges like any other chargebox.
    await api.thor_json("POST", "/charges/start", {"chargebox": box_id, "connector": 3})
    await sim.advance(2)
    (start,) = await _sent(sim, receiver, "thor")
    assert (start["type"], start["accepted"], start["chargebox"]) == ("start", True, box_id)


async def test_remove_thor_station(api: Api, sim: Simulator, receiver: Receiver) -> None:
    first, second = sim.station_ids("thor")
    sim.remove_station("thor", first)

    assert sim.station_ids("thor") == [second]
    assert await _thor_listing(api) == [second]
    status, text = await api.thor("GET", f"/chargeboxes/{first}")
    assert status == 404
    assert "ChargeboxNotFound" in text
    status, text = await api.thor("POST", "/charges/start", {"chargebox": first, "connector": 1})
    assert status == 404
    assert "ChargeboxNotFound" in text
    assert await _sent(sim, receiver, "thor") == []


async def test_remove_thor_station_refused_during_a_charge(api: Api, sim: Simulator) -> None:
    box_id = sim.add_station("thor")
    sim.local_start("thor", box_id, 1, "CARD")
    with pytest.raises(SimulatorError, match="session on connector 1"):
        sim.remove_station("thor", box_id)
    assert box_id in await _thor_listing(api)
    sim.unplug("thor", box_id, 1)
    sim.remove_station("thor", box_id)
    assert box_id not in await _thor_listing(api)


# Both


async def test_added_stations_follow_the_config(make_sim: MakeSim) -> None:
    sim = await make_sim(plugged_in=False, connectors=1)
    for provider in ("edrv", "thor"):
        station_id = sim.add_station(provider)
        state = _state_station(sim, provider, station_id)
        assert state["online"] is True
        assert [c["plugged"] for c in state["connectors"]] == [False]


async def test_added_ids_are_deterministic(api: Api, sim: Simulator, make_sim: MakeSim) -> None:
    twin, other_seed = await make_sim(), await make_sim(seed=2)
    # API traffic on one of them draws no ids from the station stream.
    box = sim.station_ids("thor")[0]
    await api.thor_json("POST", "/charges/start", {"chargebox": box, "connector": 1})
    sim.local_start("edrv", sim.station_ids("edrv")[0], 1, "CARD")

    added = [sim.add_station("edrv"), sim.add_station("thor"), sim.add_station("edrv", 1)]
    assert [twin.add_station("edrv"), twin.add_station("thor"), twin.add_station("edrv", 1)] == (
        added
    )
    assert sim.connector_ids("edrv", added[0]) == twin.connector_ids("edrv", added[0])
    assert other_seed.add_station("edrv") != added[0]
    assert sim.station_ids("edrv")[:2] == twin.station_ids("edrv")[:2]


async def test_bad_station_changes_raise(sim: Simulator) -> None:
    with pytest.raises(SimulatorError, match="provider"):
        sim.add_station("tesla")
    with pytest.raises(SimulatorError, match="at least 1"):
        sim.add_station("edrv", connectors=0)
    with pytest.raises(SimulatorError, match="provider"):
        sim.remove_station("tesla", sim.station_ids("edrv")[0])
    with pytest.raises(SimulatorError, match="no thor station"):
        sim.remove_station("thor", sim.station_ids("edrv")[0])
    assert len(sim.station_ids("edrv")) == len(sim.station_ids("thor")) == 2


# Over HTTP


async def test_stations_over_http(api: Api, sim: Simulator, receiver: Receiver) -> None:
    status, answer = await api.control("POST", "/stations", {"provider": "edrv"})
    assert status == 200
    assert set(answer) == {"id"}
    station_id = answer["id"]
    assert sim.station_ids("edrv")[-1] == station_id
    assert len(sim.connector_ids("edrv", station_id)) == 2
    assert [p["type"] for p in await _sent(sim, receiver, "edrv")] == ["chargestation.online"]

    status, answer = await api.control("POST", "/stations", {"provider": "thor", "connectors": 1})
    assert status == 200
    box_id = answer["id"]
    assert sim.connector_ids("thor", box_id) == [f"{box_id}_1"]
    assert box_id in await _thor_listing(api)

    for provider, removed in (("edrv", station_id), ("thor", box_id)):
        assert await api.control("DELETE", f"/stations/{provider}/{removed}") == (
            200,
            {"ok": True},
        )
        assert removed not in sim.station_ids(provider)
    assert await _sent(sim, receiver, "edrv") == []
    assert sim.counters == {"thor GET /chargeboxes": 1}


async def test_bad_station_input_over_http_is_400(api: Api, sim: Simulator) -> None:
    box_id = sim.add_station("thor")
    sim.local_start("thor", box_id, 1, "CARD")
    cases: list[tuple[str, str, object, str]] = [
        ("POST", "/stations", {}, "provider"),
        ("POST", "/stations", {"provider": "tesla"}, "provider"),
        ("POST", "/stations", {"provider": "edrv", "connectors": 0}, "at least 1"),
        ("POST", "/stations", {"provider": "edrv", "connectors": "2"}, "connectors"),
        ("POST", "/stations", {"provider": "edrv", "connectors": True}, "connectors"),
        ("POST", "/stations", ["edrv"], "JSON object"),
        ("DELETE", "/stations/tesla/x", None, "provider"),
        ("DELETE", "/stations/edrv/x", None, "no edrv station"),
        ("DELETE", f"/stations/edrv/{box_id}", None, "no edrv station"),
        ("DELETE", f"/stations/thor/{box_id}", None, "session"),
    ]
    for method, path, body, reason in cases:
        status, answer = await api.control(method, path, body)
        assert status == 400, (path, body)
        assert reason in answer["error"], (path, answer)
    assert len(sim.station_ids("edrv")) == 2
    assert box_id in sim.station_ids("thor")
