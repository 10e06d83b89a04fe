"""The simulated Thor API: endpoints, errors and the charge life cycle with its notifications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
import re
from typing import TYPE_CHECKING, Any

from .helpers import Api, thor_pairs

if TYPE_CHECKING:
    import aiohttp

    from simulator import Simulator

    from .conftest import MakeSim
    from .helpers import Receiver


def _box(sim: Simulator, index: int = 0) -> str:
    return sim.station_ids("thor")[index]


async def _notes(sim: Simulator, receiver: Receiver) -> list[dict[str, Any]]:
    await sim.flush_webhooks()
    payloads: list[dict[str, Any]] = receiver.payloads("thor")
    receiver.clear()
    return payloads


async def _start(api: Api, sim: Simulator, connector: int = 1) -> str:
    answer = await api.thor_json(
        "POST", "/charges/start", {"chargebox": _box(sim), "connector": connector}
    )
    assert set(answer) == {"id_tag"}
    id_tag: str = answer["id_tag"]
    return id_tag


async def test_chargeboxes(api: Api, sim: Simulator) -> None:
    boxes = await api.thor_json("GET", "/chargeboxes?onlyactive=true")
    assert [b["id"] for b in boxes] == sim.station_ids("thor")
    box = boxes[0]
    assert re.fullmatch(r"smartbit-[0-9a-f]{11}", box["id"])
    assert box["connected"] is True
    assert box["active"] is True
    assert box["type"] == {"vehicle": "car", "msg": "json", "version": "1.6"}
    assert box["connectors"][0] == {
        "power": 11000,
        "type": "Type2",
        "format": "SOCKET",
        "max_amperage": 16,
        "power_type": "AC_3_PHASE",
    }
    assert box["connectors"][1]["power"] == 22000
    assert isinstance(box["last_heartbeat"], int)
    assert (box["occupied_connectors"], box["reserved_connectors"]) == ([], [])
    assert await api.thor_json("GET", f"/chargeboxes/{box['id']}") == box
    assert sim.connector_ids("thor", box["id"]) == [f"{box['id']}_1", f"{box['id']}_2"]

    status, text = await api.thor("GET", "/chargeboxes/smartbit-00000000000")
    assert status == 404
    assert "ChargeboxNotFound" in text
    assert (await api.thor("GET", "/chargeboxes?onlyactive=maybe"))[0] == 400


async def test_start_meter_stop_with_notifications(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    box = _box(sim)
    id_tag = await _start(api, sim)
    assert await _notes(sim, receiver) == []  # Thor tells nothing until the station answers

    await sim.advance(2)
    (start,) = await _notes(sim, receiver)
    transaction = start["transaction_id"]
    assert start == {
        "type": "start",
        "accepted": True,
        "chargebox": box,
        "id": id_tag,
        "connector": 1,
        "transaction_id": transaction,
        "mode": "api",
    }
    assert isinstance(transaction, int)
    assert transaction > 0

    running = await api.thor_json("GET", f"/charges/running?chargebox={box}")
    assert running["count"] == 1
    assert running["users"] == {}
    (item,) = running["items"]
    assert item["id"] == transaction
    assert item["id_tag"] is None  # documented: null for API starts
    assert (item["chargebox"], item["connector"], item["energy"]) == (box, 1, 0)
    assert (await api.thor_json("GET", f"/chargeboxes/{box}"))["occupied_connectors"] == [1]

    await sim.advance(30)
    (meters,) = await _notes(sim, receiver)
    assert meters["type"] == "meters"
    assert (meters["chargebox"], meters["connector"], meters["idTag"]) == (box, 1, id_tag)
    assert meters["kwh"] == 92
    assert meters["time"] == "30"
    by_measurand = {m["measurand"]: m for m in meters["meters"]}
    assert by_measurand["Energy.Active.Import.Register"]["uom"] == "Wh"
    assert by_measurand["Energy.Active.Import.Register"]["phase"] == "L1-N"
    assert by_measurand["Power.Active.Import"] == {
        "measurand": "Power.Active.Import",
        "uom": "W",
        "value": 11000.0,
    }
    assert by_measurand["Current.Import"]["value"] == 15.9
    assert by_measurand["SoC"]["uom"] == "Percent"

    status, text = await api.thor(
        "POST",
        "/charges/stop",
        {"chargebox": box, "connector": 1, "id_tag": id_tag, "transaction": transaction},
    )
    assert (status, text) == (200, "")
    await sim.advance(3)
    (stop,) = await _notes(sim, receiver)
    assert stop == {
        "type": "stop_transaction",
        "accepted": True,
        "unlocked": False,
        "chargebox": box,
        "idTag": id_tag,
        "connector": 1,
        "transaction_id": transaction,
        "kwh": 101,
        "time": 33,
    }
    assert (await api.thor_json("GET", "/charges/running"))["count"] == 0

    today = datetime.now(tz=UTC)
    span = f"from={(today - timedelta(days=1)):%Y%m%d}&to={(today + timedelta(days=1)):%Y%m%d}"
    finished = await api.thor_json("GET", f"/charges/finished?{span}&chargebox={box}")
    assert finished["count"] == 1
    (done,) = finished["items"]
    assert done["id"] == transaction
    assert done["energy"] == 101
    assert done["date_finished"] - done["date_started"] == 33_000
    old = "from=20200101&to=20200102"
    assert (await api.thor_json("GET", f"/charges/finished?{old}"))["count"] == 0
    for query in ("", "from=2020-01-01&to=20200102", "from=20200101"):
        status, text = await api.thor("GET", f"/charges/finished?{query}")
        assert status == 400, query


async def test_quirky_start_repeats_the_type_key(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim = await make_sim(variant="quirky")
    api = Api(http, sim)
    await _start(api, sim)
    await sim.advance(2 + 30)
    await sim.flush_webhooks()
    start_hit, meters_hit = receiver.of("thor")
    pairs = thor_pairs(start_hit.body)
    assert [value for key, value in pairs if key == "type"] == ["start", "api"]
    assert "mode" not in dict(pairs)
    assert json.loads(start_hit.body)["type"] == "api"
    meters = meters_hit.json()["meters"]
    assert all("Value" in m and "value" not in m for m in meters)
    units = {m["measurand"]: m["uom"] for m in meters}
    assert units["Energy.Active.Import.Register"] == "kWh"
    assert units["Power.Active.Import"] == "kW"


async def test_no_vehicle_rejects_the_start_after_the_timeout(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim = await make_sim(plugged_in=False)
    api = Api(http, sim)
    id_tag = await _start(api, sim)
    await sim.advance(119)
    assert await _notes(sim, receiver) == []
    status, text = await api.thor(
        "POST", "/charges/start", {"chargebox": _box(sim), "connector": 1}
    )
    assert (status, "TooManyRequests" in text) == (429, True)  # a start is still pending
    await sim.advance(1)
    (refused,) = await _notes(sim, receiver)
    assert refused["accepted"] is False
    assert refused["transaction_id"] == 0
    assert refused["id"] == id_tag


async def test_offline_chargebox_accepts_then_rejects(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    box = _box(sim)
    sim.set_online("thor", box, False)
    assert (await api.thor_json("GET", f"/chargeboxes/{box}"))["connected"] is False
    id_tag = await _start(api, sim)
    await sim.advance(2)
    (refused,) = await _notes(sim, receiver)
    assert refused == {
        "type": "start",
        "accepted": False,
        "chargebox": box,
        "id": id_tag,
        "connector": 1,
        "transaction_id": 0,
        "mode": "api",
    }
    sim.set_online("thor", box, True)
    assert (await api.thor_json("GET", f"/chargeboxes/{box}"))["connected"] is True
    assert await _notes(sim, receiver) == []  # Thor has no online notification


async def test_offline_chargebox_rejects_a_stop(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    box = _box(sim)
    id_tag = await _start(api, sim)
    await sim.advance(2)
    sim.set_online("thor", box, False)
    body = {"chargebox": box, "connector": 1, "id_tag": id_tag}
    assert await api.thor("POST", "/charges/stop", body) == (200, "")
    await sim.advance(3)
    _start_note, refused = await _notes(sim, receiver)
    assert refused["msg"] == "stop"
    assert refused["accepted"] is False


async def test_start_and_stop_errors(api: Api, sim: Simulator) -> None:
    box = _box(sim)
    for body, status, code in [
        ({"chargebox": box, "connector": 0}, 400, "ConnectorNotValid"),
        ({"chargebox": box, "connector": 3}, 400, "ConnectorNotValid"),
        ({"chargebox": box, "connector": "1"}, 400, "ConnectorNotValid"),
        ({"chargebox": "smartbit-00000000000", "connector": 1}, 404, "ChargeboxNotFound"),
        ({"connector": 1}, 400, "InvalidRequestBody"),
    ]:
        got, text = await api.thor("POST", "/charges/start", body)
        assert (got, code in text) == (status, True), body

    stop = {"chargebox": box, "connector": 1, "id_tag": "X"}
    got, text = await api.thor("POST", "/charges/stop", stop)
    assert (got, "NotInTransaction" in text) == (400, True)

    id_tag = await _start(api, sim)
    await sim.advance(2)
    got, text = await api.thor("POST", "/charges/start", {"chargebox": box, "connector": 1})
    assert (got, "AlreadyInTransaction" in text) == (400, True)
    got, text = await api.thor("POST", "/charges/stop", stop)
    assert (got, "WrongTransaction" in text) == (400, True)
    wrong_tx = stop | {"id_tag": id_tag, "transaction": 1}
    got, text = await api.thor("POST", "/charges/stop", wrong_tx)
    assert (got, "WrongTransaction" in text) == (400, True)
    got, text = await api.thor("POST", "/charges/stop", stop | {"connector": -1})
    assert (got, "ConnectorNotValid" in text) == (400, True)
    got, _ = await api.thor("POST", "/charges/stop", stop | {"id_tag": id_tag, "transaction": 0})
    assert got == 200


async def test_error_bodies_alternate_between_json_and_text(
    make_sim: MakeSim, http: aiohttp.ClientSession
) -> None:
    sim = await make_sim(variant="alternate")
    bodies = []
    for _ in range(2):
        async with http.get(sim.thor_base_url + "/chargeboxes", headers={"X-Api-Key": "x"}) as r:
            assert r.status == 403
            bodies.append((r.content_type, await r.text()))
    assert bodies == [
        ("application/json", '{"message": "APIKeyNotFound"}'),
        ("text/plain", "APIKeyNotFound"),
    ]


async def test_fail_next_start_uses_the_documented_status(api: Api, sim: Simulator) -> None:
    body = {"chargebox": _box(sim), "connector": 1}
    for failure, status in [
        ("ChargeboxNotFree", 402),
        ("RestAPINotEnabled", 403),
        ("503 ServiceUnavailable", 503),
        ("SomethingNew", 400),
    ]:
        sim.faults.fail_next_start = failure
        got, text = await api.thor("POST", "/charges/start", body)
        assert got == status
        assert failure.split()[-1] in text
    await _start(api, sim)


async def test_fail_next_stop_is_a_rejected_stop(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    box = _box(sim)
    id_tag = await _start(api, sim)
    await sim.advance(2)
    sim.faults.fail_next_stop = "rejected"
    stop = {"chargebox": box, "connector": 1, "id_tag": id_tag}
    assert await api.thor("POST", "/charges/stop", stop) == (200, "")
    await sim.advance(3)
    start, refused = await _notes(sim, receiver)
    assert refused == {
        "msg": "stop",
        "accepted": False,
        "unlocked": False,
        "chargebox": box,
        "idTag": id_tag,
        "connector": 1,
        "transaction_id": 0,
        "energy": 9,
        "time": 3,
    }
    assert (await api.thor_json("GET", "/charges/running"))["count"] == 1
    assert start["accepted"] is True

    sim.faults.fail_next_stop = "NotInTransaction"
    status, text = await api.thor("POST", "/charges/stop", stop)
    assert (status, text) == (200, "")  # no status given: the station rejects it later
    sim.faults.fail_next_stop = "500 InternalServerError"
    await sim.advance(3)
    (second_refusal,) = await _notes(sim, receiver)
    assert second_refusal["msg"] == "stop"
    status, text = await api.thor("POST", "/charges/stop", stop)
    assert (status, "InternalServerError" in text) == (500, True)


async def test_local_start_shows_the_card(api: Api, sim: Simulator, receiver: Receiver) -> None:
    box = _box(sim, 1)
    transaction = sim.local_start("thor", box, 2, "04A1B2C3")
    (start,) = await _notes(sim, receiver)
    assert start["mode"] == "local"
    assert start["id"] == "04A1B2C3"
    assert str(start["transaction_id"]) == transaction
    (item,) = (await api.thor_json("GET", "/charges/running"))["items"]
    assert (item["id_tag"], item["type"], item["connector"]) == ("04A1B2C3", "local", 2)
    stop = {"chargebox": box, "connector": 2, "id_tag": "04A1B2C3", "transaction": int(transaction)}
    assert await api.thor("POST", "/charges/stop", stop) == (200, "")
    await sim.advance(3)
    (ended,) = await _notes(sim, receiver)
    assert ended["type"] == "stop_transaction"
    assert ended["idTag"] == "04A1B2C3"


async def test_transactions_are_progressive(api: Api, sim: Simulator, receiver: Receiver) -> None:
    await _start(api, sim, 1)
    await _start(api, sim, 2)
    await sim.advance(2)
    first, second = await _notes(sim, receiver)
    assert second["transaction_id"] == first["transaction_id"] + 1
    assert first["id"] != second["id"]
