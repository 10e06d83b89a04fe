"""The simulated eDRV API: endpoints, quirks and the session life cycle with its webhooks."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from .helpers import Api

if TYPE_CHECKING:
    import aiohttp

    from simulator import Simulator

    from .conftest import MakeSim
    from .helpers import Receiver

OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def _connector(sim: Simulator, station: int = 0, number: int = 1) -> str:
    return sim.connector_ids("edrv", sim.station_ids("edrv")[station])[number - 1]


async def _start(api: Api, sim: Simulator, **body: Any) -> dict[str, Any]:
    request = {"connector": _connector(sim), "user": sim.edrv_user_ids[0]} | body
    status, answer = await api.edrv("POST", "/sessions", request)
    assert status == 200, answer
    assert answer["ok"] is True
    result: dict[str, Any] = answer["result"]
    return result


async def _session(api: Api, session_id: str) -> dict[str, Any]:
    status, answer = await api.edrv("GET", f"/sessions/{session_id}")
    assert status == 200, answer
    result: dict[str, Any] = answer["result"]
    return result


async def _webhooks(sim: Simulator, receiver: Receiver) -> list[dict[str, Any]]:
    await sim.flush_webhooks()
    payloads: list[dict[str, Any]] = receiver.payloads("edrv")
    receiver.clear()
    return payloads


def _statuses(payload: dict[str, Any]) -> list[str]:
    return [c["status"] for c in payload["data"]["connectors"]]


async def test_chargestations_list_and_get(api: Api, sim: Simulator) -> None:
    status, body = await api.edrv("GET", "/chargestations")
    assert status == 200
    assert body["ok"] is True
    assert body["hasNext"] is False
    stations = body["result"]
    assert {s["_id"] for s in stations} == set(sim.station_ids("edrv"))
    station = next(s for s in stations if s["_id"] == sim.station_ids("edrv")[0])
    assert OBJECT_ID.fullmatch(station["_id"])
    assert station["online"] is True
    assert station["protocol"] == "ocpp1.6"
    assert set(station["bootInfo"]) == {
        "chargePointVendor",
        "chargePointModel",
        "chargePointSerialNumber",
        "chargeBoxSerialNumber",
        "firmwareVersion",
    }
    first, second = station["connectors"]
    assert first["_id"] == _connector(sim)
    assert first["chargestation"] == station["_id"]
    # Cars are plugged in without a session: OCPP's Preparing.
    assert (first["status"], first["type"], first["format"]) == ("Preparing", "Type2", "Socket")
    assert (first["power"], second["power"]) == (11.0, 22.0)
    assert first["power_type"] == "AC_3_PHASE"

    status, one = await api.edrv("GET", f"/chargestations/{station['_id']}")
    assert status == 200
    assert one["result"] == station

    status, missing = await api.edrv("GET", "/chargestations/" + "0" * 24)
    assert status == 404
    assert missing == {"ok": False, "message": "Chargestation not found", "result": None}


async def test_alternate_variant_spells_every_second_station_differently(
    make_sim: MakeSim, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(variant="alternate")
    api = Api(http, sim)
    first, second = sim.station_ids("edrv")
    _, plain = await api.edrv("GET", f"/chargestations/{first}")
    _, quirky = await api.edrv("GET", f"/chargestations/{second}")
    assert plain["result"]["connectors"][0]["power"] == 11.0
    assert plain["result"]["connectors"][0]["format"] == "Socket"
    assert quirky["result"]["connectors"][0]["power"] == "11.0"
    assert quirky["result"]["connectors"][0]["format"] == "CABLE"


async def test_users(api: Api, sim: Simulator) -> None:
    status, body = await api.edrv("GET", "/users?sort_order=asc")
    assert status == 200
    users = body["result"]
    assert [u["_id"] for u in users] == sim.edrv_user_ids
    assert [(u["firstname"], u["lastname"]) for u in users] == [
        ("Home", "Assistant"),
        ("Zoë", "Janssen"),
    ]
    assert all(u["active"] is True and "@" in u["email"] for u in users)


async def test_pagination_caps_the_page_size(
    make_sim: MakeSim, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(stations=5, max_page_size=2)
    api = Api(http, sim)
    seen: list[str] = []
    for page in (1, 2, 3):
        status, body = await api.edrv(
            "GET", f"/chargestations?paginate_limit=10&paginate_page={page}&sort_order=asc"
        )
        assert status == 200
        seen += [s["_id"] for s in body["result"]]
        assert body["hasNext"] is (page < 3)
        assert body["hasPrevious"] is (page > 1)
    assert seen == sim.station_ids("edrv")

    _, newest_first = await api.edrv("GET", "/chargestations?paginate_limit=1")
    assert newest_first["result"][0]["_id"] == seen[-1]
    for query in ("paginate_limit=x", "paginate_page=0", "sort_order=up"):
        status, body = await api.edrv("GET", f"/chargestations?{query}")
        assert status == 400
        assert body["ok"] is False


async def test_bad_or_missing_key_is_401(http: aiohttp.ClientSession, sim: Simulator) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": sim.edrv_api_key}):
        async with http.get(sim.edrv_base_url + "/chargestations", headers=headers) as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "message": "Unauthorized",
                "result": None,
            }


async def test_unknown_route_and_method_use_the_envelope(api: Api, sim: Simulator) -> None:
    assert await api.edrv("GET", "/nope") == (
        404,
        {"ok": False, "message": "Not Found", "result": None},
    )
    # Stop is a GET; a POST is refused as a real client "fixing" it would find out.
    status, body = await api.edrv("POST", "/sessions/" + "0" * 24 + "/stop")
    assert status == 405
    assert body["ok"] is False


async def test_start_charge_stop_with_webhooks(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    session = await _start(api, sim)
    assert session["status"] == "created"
    assert OBJECT_ID.fullmatch(session["_id"])
    assert session["user"] == sim.edrv_user_ids[0]
    assert session["connector"] == _connector(sim)
    assert session["metrics"]["chargingStart"] is None
    assert session["target"] == {"time": 720.0}

    # The car is plugged in: the connector is Preparing already, no status change to report.
    (created,) = await _webhooks(sim, receiver)
    assert created["type"] == "session.created"
    assert created["object"] == "session"
    assert created["data"]["_id"] == session["_id"]

    await sim.advance(2)
    started, charging = await _webhooks(sim, receiver)
    assert started["type"] == "session.started"
    assert started["data"]["status"] == "Started"
    assert charging["type"] == "chargestation.connector_status.updated"
    assert charging["object"] == "chargestation"
    assert _statuses(charging) == ["Charging", "Preparing"]

    await sim.advance(30)
    (updated,) = await _webhooks(sim, receiver)
    assert updated["type"] == "session.updated"
    data = updated["data"]
    assert data["metrics"]["energyConsumed"] == pytest.approx(91.7)
    assert data["metrics"]["energyPeriod"] == 30.0
    report = data["energy_report"]
    assert report["power"] == {"value": 11.0, "unit": "kW"}
    assert report["current"] == {"value": 15.9, "unit": "A"}
    assert report["energy_meter"]["unit"] == "kWh"
    meter_start = data["metrics"]["meterStart"]
    assert report["energy_meter"]["value"] == pytest.approx((meter_start + 91.67) / 1000, abs=1e-3)
    assert report["state_of_charge"] == {"value": 30.2, "unit": "Percent"}
    assert data["cost"] == {"amount": 0.03, "currency": "eur"}

    status, stop = await api.edrv("GET", f"/sessions/{session['_id']}/stop")
    assert status == 200
    assert stop["message"] == "Session Stop Requested"
    assert stop["result"]["_id"] == session["_id"]
    await sim.advance(3)
    ended, finishing = await _webhooks(sim, receiver)
    assert ended["type"] == "session.ended"
    assert _statuses(finishing) == ["Finishing", "Preparing"]

    final = await _session(api, session["_id"])
    assert final["status"] == "Ended"
    assert final["metrics"]["energyConsumed"] == pytest.approx(100.8)
    assert final["metrics"]["chargingStop"] is not None
    assert final["energy_report"]["power"]["value"] == 0.0

    status, again = await api.edrv("GET", f"/sessions/{session['_id']}/stop")
    assert status == 400
    assert "not active" in again["message"]

    sim.unplug("edrv", sim.station_ids("edrv")[0], 1)
    (available,) = await _webhooks(sim, receiver)
    assert _statuses(available) == ["Available", "Preparing"]
    ids = [p["_id"] for p in (created, started, charging, updated, ended)]
    assert len(set(ids)) == len(ids)
    assert all(OBJECT_ID.fullmatch(i) for i in ids)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", ended["createdAt"])


async def test_quirky_session_spellings(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim = await make_sim(variant="quirky")
    api = Api(http, sim)
    session = await _start(api, sim)
    await sim.advance(32)
    data = await _session(api, session["_id"])
    assert data["status"] == "started"
    assert data["metrics"]["energyConsumed"] == "91.7"
    report = data["energy_report"]
    assert report["power"] == {"value": "11000.0", "unit": "W"}
    assert report["current"] == {"value": "15.9", "unit": "A"}
    assert report["energy_meter"]["unit"] == "Wh"
    assert isinstance(report["energy_meter"]["value"], str)
    assert report["state_of_charge"] == {"value": "30.2", "unit": None}
    await api.edrv("GET", f"/sessions/{session['_id']}/stop")
    await sim.advance(3)
    assert (await _session(api, session["_id"]))["status"] == "ended"
    assert "session.ended" in [p["type"] for p in await _webhooks(sim, receiver)]


async def test_alternate_variant_switches_per_session(
    make_sim: MakeSim, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(variant="alternate")
    api = Api(http, sim)
    first = await _start(api, sim)
    second = await _start(api, sim, connector=_connector(sim, number=2))
    await sim.advance(2)
    assert (await _session(api, first["_id"]))["status"] == "Started"
    assert (await _session(api, second["_id"]))["status"] == "started"


async def test_session_list_filters(api: Api, sim: Simulator) -> None:
    first = await _start(api, sim)
    second = await _start(api, sim, connector=_connector(sim, number=2))
    await api.edrv("GET", f"/sessions/{first['_id']}/stop")  # not started yet: refused
    await sim.advance(2)
    status, body = await api.edrv("GET", "/sessions")
    assert status == 200
    assert {s["_id"] for s in body["result"]} == {first["_id"], second["_id"]}
    _, by_connector = await api.edrv("GET", f"/sessions?connector={_connector(sim, number=2)}")
    assert [s["_id"] for s in by_connector["result"]] == [second["_id"]]
    _, by_status = await api.edrv("GET", "/sessions?status=Started")
    assert len(by_status["result"]) == 2
    # The docs' dialect matches the stored spelling exactly.
    _, other_case = await api.edrv("GET", "/sessions?status=started")
    assert other_case["result"] == []
    _, none = await api.edrv("GET", "/sessions?status=Ended")
    assert none["result"] == []


async def test_start_refusals(api: Api, sim: Simulator) -> None:
    user = sim.edrv_user_ids[0]
    cases: list[tuple[object, int]] = [
        ({"connector": _connector(sim)}, 400),
        ({"connector": "0" * 24, "user": user}, 404),
        ({"connector": _connector(sim), "user": "0" * 24}, 404),
        ({"connector": _connector(sim), "user": user, "target": {"energy": -1}}, 400),
        ({"connector": _connector(sim), "user": user, "target": {"soc": 80}}, 400),
        ([1, 2], 400),
    ]
    for body, expected in cases:
        status, answer = await api.edrv("POST", "/sessions", body)
        assert status == expected, body
        assert answer["ok"] is False
        assert answer["result"] is None
    await _start(api, sim)
    status, busy = await api.edrv("POST", "/sessions", {"connector": _connector(sim), "user": user})
    assert status == 400
    assert "busy" in busy["message"]
    assert (await api.edrv("GET", "/sessions/" + "0" * 24))[0] == 404


async def test_no_vehicle_cancels_after_the_timeout(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim = await make_sim(plugged_in=False)
    api = Api(http, sim)
    session = await _start(api, sim)
    await sim.advance(119)
    assert (await _session(api, session["_id"]))["status"] == "created"
    await _webhooks(sim, receiver)
    await sim.advance(1)
    cancelled, available = await _webhooks(sim, receiver)
    assert cancelled["type"] == "session.cancelled"
    assert cancelled["data"]["status"] == "cancelled"
    assert _statuses(available)[0] == "Available"
    # The connector is free again.
    await _start(api, sim)


async def test_plugging_in_while_waiting_starts_the_session(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim = await make_sim(plugged_in=False)
    api = Api(http, sim)
    session = await _start(api, sim)
    await sim.advance(60)
    sim.plug("edrv", sim.station_ids("edrv")[0], 1)
    await sim.advance(2)
    assert (await _session(api, session["_id"]))["status"] == "Started"
    await sim.advance(200)
    assert "session.cancelled" not in [p["type"] for p in await _webhooks(sim, receiver)]


async def test_unplugging_while_charging_ends_the_session(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    session = await _start(api, sim)
    await sim.advance(2)
    await _webhooks(sim, receiver)
    await sim.advance(10)
    sim.unplug("edrv", sim.station_ids("edrv")[0], 1)
    ended, available = await _webhooks(sim, receiver)
    assert ended["type"] == "session.ended"
    assert _statuses(available)[0] == "Available"
    assert (await _session(api, session["_id"]))["metrics"]["energyConsumed"] == pytest.approx(30.6)


async def test_plugging_in_idle_shows_preparing_while_plugged_in(
    make_sim: MakeSim, receiver: Receiver
) -> None:
    """OCPP's Preparing lasts as long as the car is plugged in without a session."""
    sim = await make_sim(plugged_in=False)
    station = sim.station_ids("edrv")[0]
    sim.plug("edrv", station, 1)
    sim.plug("edrv", station, 1)  # already plugged: nothing new
    (preparing,) = await _webhooks(sim, receiver)
    assert _statuses(preparing)[0] == "Preparing"
    await sim.advance(3600)
    assert await _webhooks(sim, receiver) == []
    sim.unplug("edrv", station, 1)
    (available,) = await _webhooks(sim, receiver)
    assert _statuses(available)[0] == "Available"


async def test_fail_next_start(api: Api, sim: Simulator) -> None:
    body = {"connector": _connector(sim), "user": sim.edrv_user_ids[0]}
    sim.faults.fail_next_start = "406 Chargestation is offline"
    assert await api.edrv("POST", "/sessions", body) == (
        406,
        {"ok": False, "message": "Chargestation is offline", "result": None},
    )
    sim.faults.fail_next_start = "Connector is reserved"
    status, answer = await api.edrv("POST", "/sessions", body)
    assert (status, answer["message"]) == (400, "Connector is reserved")
    assert sim.faults.as_dict()["fail_next_start"] is None  # consumed
    await _start(api, sim)


async def test_fail_next_stop_keeps_the_session_going(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    session = await _start(api, sim)
    await sim.advance(2)
    sim.faults.fail_next_stop = "station did not answer"
    status, _ = await api.edrv("GET", f"/sessions/{session['_id']}/stop")
    assert status == 200
    await _webhooks(sim, receiver)
    await sim.advance(3)
    (failure,) = await _webhooks(sim, receiver)
    assert failure["type"] == "session.stop_failure"
    assert failure["data"]["status"] == "Started"
    assert (await _session(api, session["_id"]))["status"] == "Started"

    sim.faults.fail_next_stop = "500 Internal Server Error"
    status, answer = await api.edrv("GET", f"/sessions/{session['_id']}/stop")
    assert (status, answer["message"]) == (500, "Internal Server Error")

    await api.edrv("GET", f"/sessions/{session['_id']}/stop")
    await sim.advance(3)
    assert (await _session(api, session["_id"]))["status"] == "Ended"


async def test_offline_station(api: Api, sim: Simulator, receiver: Receiver) -> None:
    station = sim.station_ids("edrv")[0]
    session = await _start(api, sim, connector=_connector(sim, number=2))
    await sim.advance(2)
    await _webhooks(sim, receiver)

    sim.set_online("edrv", station, False)
    (offline,) = await _webhooks(sim, receiver)
    assert offline["type"] == "chargestation.offline"
    assert offline["data"]["online"] is False
    _, body = await api.edrv("GET", f"/chargestations/{station}")
    assert body["result"]["online"] is False
    assert body["result"]["lastDisconnectAt"] is not None
    status, refused = await api.edrv(
        "POST", "/sessions", {"connector": _connector(sim), "user": sim.edrv_user_ids[0]}
    )
    assert (status, refused["message"]) == (406, "Chargestation is offline")
    assert (await api.edrv("GET", f"/sessions/{session['_id']}/stop"))[0] == 406
    # An offline station sends no meter values, though the vehicle keeps charging.
    await sim.advance(60)
    assert await _webhooks(sim, receiver) == []

    sim.set_online("edrv", station, True)
    (online,) = await _webhooks(sim, receiver)
    assert online["type"] == "chargestation.online"
    assert online["data"]["online"] is True
    assert (await _session(api, session["_id"]))["metrics"]["energyConsumed"] == pytest.approx(
        366.7
    )


async def test_station_going_offline_fails_a_waiting_start(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    session = await _start(api, sim)
    sim.set_online("edrv", sim.station_ids("edrv")[0], False)
    await _webhooks(sim, receiver)
    await sim.advance(2)
    # The car is still plugged in: the connector stays Preparing, no status change.
    (failure,) = await _webhooks(sim, receiver)
    assert failure["type"] == "session.start_failure"
    assert (await _session(api, session["_id"]))["status"] == "cancelled"


async def test_local_start_runs_for_another_user(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    station = sim.station_ids("edrv")[1]
    session_id = sim.local_start("edrv", station, 2, "04A1B2C3")
    types = [p["type"] for p in await _webhooks(sim, receiver)]
    assert types == [
        "session.created",  # the car is plugged in: Preparing already
        "session.started",
        "chargestation.connector_status.updated",
    ]
    session = await _session(api, session_id)
    assert session["user"] == sim.edrv_user_ids[1]
    assert session["user"] != sim.edrv_user_ids[0]
    assert session["meta_data"] == {"session_source": "RFID"}
    assert session["status"] == "Started"
    status, answer = await api.edrv("GET", f"/sessions/{session_id}/stop")
    assert status == 200, answer
    await sim.advance(3)
    assert (await _session(api, session_id))["status"] == "Ended"


async def test_power_limits(api: Api, sim: Simulator, receiver: Receiver) -> None:
    session = await _start(api, sim)
    await sim.advance(2)
    status, body = await api.edrv(
        "POST", f"/sessions/{session['_id']}/set_power_limit", {"unit": "current", "limit": 10}
    )
    assert status == 200
    action = body["result"]
    assert action["type"] == "chargestation.set_power_limit"
    assert action["status"] == "APIRequested"
    assert action["data"] == {"unit": "current", "limit": 10.0}
    assert action["connector"] == session["connector"]
    await _webhooks(sim, receiver)
    await sim.advance(1)
    (accepted,) = await _webhooks(sim, receiver)
    assert accepted["type"] == "chargestation.set_power_limit.accepted"
    assert accepted["object"] == "action"
    assert accepted["data"]["_id"] == action["_id"]
    assert accepted["data"]["status"] == "completed"
    assert (await _session(api, session["_id"]))["energy_report"]["power"]["value"] == 6.9

    connector = _connector(sim, number=2)
    status, body = await api.edrv(
        "POST", f"/connectors/{connector}/set_default_power_limit", {"unit": "power", "limit": 3000}
    )
    assert (status, body["message"]) == (200, "Connector Set Default Power Requested")
    await sim.advance(1)
    (rejected,) = await _webhooks(sim, receiver)
    assert rejected["type"] == "chargestation.set_power_limit.rejected"
    assert rejected["data"]["status"] == "failed"

    for path, limit_body, expected in [
        (f"/connectors/{connector}/set_default_power_limit", {"unit": "watt", "limit": 1}, 400),
        (f"/connectors/{connector}/set_default_power_limit", {"unit": "power", "limit": 0}, 400),
        ("/connectors/" + "0" * 24 + "/set_default_power_limit", {}, 404),
        ("/sessions/" + "0" * 24 + "/set_power_limit", {}, 404),
    ]:
        assert (await api.edrv("POST", path, limit_body))[0] == expected, path


async def test_default_limit_applies_to_the_running_session(api: Api, sim: Simulator) -> None:
    session = await _start(api, sim)
    await sim.advance(2)
    await api.edrv(
        "POST",
        f"/connectors/{session['connector']}/set_default_power_limit",
        {"unit": "power", "limit": 7000},
    )
    await sim.advance(1)
    assert (await _session(api, session["_id"]))["energy_report"]["power"]["value"] == 7.0


async def test_energy_target_stops_the_session(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    session = await _start(api, sim, target={"energy": 0.1})
    assert session["target"] == {"energy": 0.1}
    await sim.advance(2 + 30)
    assert (await _session(api, session["_id"]))["status"] == "Started"
    await sim.advance(30 + 3)
    final = await _session(api, session["_id"])
    assert final["status"] == "Ended"
    assert float(final["metrics"]["energyConsumed"]) >= 100
    assert "session.ended" in [p["type"] for p in await _webhooks(sim, receiver)]


async def test_full_battery_suspends_charging(
    make_sim: MakeSim, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(meter_interval_s=3600)
    api = Api(http, sim)
    session = await _start(api, sim, connector=_connector(sim, number=2))
    await sim.advance(2 + 4 * 3600)
    data = await _session(api, session["_id"])
    assert data["metrics"]["energyConsumed"] == 42000.0
    assert data["energy_report"]["state_of_charge"]["value"] == 100.0
    assert data["energy_report"]["power"]["value"] == 0.0
    # 42 kWh at 22 kW: energy flowed for 6872.7 s of the four hours.
    assert data["metrics"]["energyPeriod"] == pytest.approx(6872.7)
    _, body = await api.edrv("GET", f"/chargestations/{sim.station_ids('edrv')[0]}")
    assert body["result"]["connectors"][1]["status"] == "SuspendedEV"
