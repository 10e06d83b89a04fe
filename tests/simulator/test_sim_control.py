"""The /_sim control API and the request counters."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .helpers import Api

if TYPE_CHECKING:
    import aiohttp

    from simulator import Simulator

    from .helpers import Receiver


async def test_counters_key_on_route_templates(api: Api, sim: Simulator) -> None:
    station = sim.station_ids("edrv")[0]
    await api.edrv("GET", "/chargestations")
    await api.edrv("GET", f"/chargestations/{station}")
    await api.edrv("GET", "/sessions/" + "0" * 24)
    await api.edrv("GET", "/sessions/" + "1" * 24)
    await api.edrv("GET", "/nope")
    await api.thor("POST", "/charges/start", {"chargebox": "x", "connector": 1})
    await api.control("GET", "/state")
    assert sim.counters == {
        "edrv GET /chargestations": 1,
        "edrv GET /chargestations/{id}": 1,
        "edrv GET /sessions/{id}": 2,
        "edrv GET /nope": 1,
        "thor-dev POST /charges/start": 1,
    }
    sim.reset_counters()
    assert sim.counters == {}


async def test_counters_over_http(api: Api, sim: Simulator, receiver: Receiver) -> None:
    await api.edrv("GET", "/users")
    sim.set_online("edrv", sim.station_ids("edrv")[0], False)
    await sim.flush_webhooks()
    assert await api.control("GET", "/counters") == (
        200,
        {"requests": {"edrv GET /users": 1}, "webhooks": {"edrv sent": 1}},
    )
    assert await api.control("DELETE", "/counters") == (200, {"ok": True})
    assert await api.control("GET", "/counters") == (200, {"requests": {}, "webhooks": {}})
    assert receiver.edrv_types() == ["chargestation.offline"]


async def test_plug_online_local_start_and_state(
    api: Api, sim: Simulator, receiver: Receiver
) -> None:
    box = sim.station_ids("thor")[0]
    target = {"provider": "thor", "station": box}
    assert await api.control("POST", "/offline", target) == (200, {"ok": True})
    assert await api.control("POST", "/online", target) == (200, {"ok": True})
    assert await api.control("POST", "/unplug", target | {"connector": 1}) == (200, {"ok": True})
    status, state = await api.control("GET", "/state")
    assert status == 200
    (connector, _) = state["stations"]["thor"][0]["connectors"]
    assert connector["plugged"] is False
    assert await api.control("POST", "/plug", target | {"connector": 1}) == (200, {"ok": True})

    status, started = await api.control(
        "POST", "/local_start", target | {"connector": 1, "id_tag": "CARD"}
    )
    assert status == 200
    assert await api.control("POST", "/advance", {"seconds": 30}) == (200, {"now": state_now(sim)})
    assert await api.control("POST", "/flush") == (200, {"ok": True})
    assert [p.get("type") for p in receiver.payloads("thor")] == ["start", "meters"]

    _, state = await api.control("GET", "/state")
    (session,) = state["sessions"]
    assert session["id"] == started["session"]
    assert (session["provider"], session["source"], session["phase"]) == (
        "thor",
        "local",
        "started",
    )
    assert session["energy_wh"] == 91.7
    assert state["webhooks"]["thor"] == {"url_set": True, "queued": 0}
    assert state["faults"]["latency_s"] == 0.0
    assert sim.counters == {}


def state_now(sim: Simulator) -> str:
    return str(sim.state()["now"])


async def test_faults_and_webhook_urls(api: Api, sim: Simulator, receiver: Receiver) -> None:
    status, faults = await api.control("POST", "/faults", {"rate_limit_next": 3})
    assert status == 200
    assert faults["rate_limit_next"] == 3
    assert (await api.control("GET", "/faults"))[1] == faults
    assert sim.faults.rate_limit_next == 3

    body = {"provider": "edrv", "url": None}
    assert await api.control("POST", "/webhooks", body) == (200, {"ok": True})
    sim.set_online("edrv", sim.station_ids("edrv")[0], False)
    await sim.flush_webhooks()
    assert receiver.of("edrv") == []
    body["url"] = receiver.url("edrv")
    assert await api.control("POST", "/webhooks", body) == (200, {"ok": True})
    sim.set_online("edrv", sim.station_ids("edrv")[0], True)
    await sim.flush_webhooks()
    assert receiver.edrv_types() == ["chargestation.online"]


async def test_bad_control_input_is_400(
    api: Api, sim: Simulator, http: aiohttp.ClientSession
) -> None:
    station = sim.station_ids("edrv")[0]
    cases = [
        ("POST", "/plug", {"provider": "edrv", "station": station}, "connector"),
        ("POST", "/plug", {"provider": "tesla", "station": station, "connector": 1}, "provider"),
        ("POST", "/plug", {"provider": "edrv", "station": "x", "connector": 1}, "no edrv station"),
        ("POST", "/unplug", {"provider": "edrv", "station": station, "connector": 9}, "not 9"),
        ("POST", "/offline", [], "JSON object"),
        ("POST", "/faults", {"latency_s": "slow"}, "latency_s"),
        ("POST", "/faults", {"bogus": 1}, "unknown fault"),
        ("POST", "/webhooks", {"provider": "edrv", "url": "ftp://x"}, "http"),
        ("POST", "/advance", {"seconds": -1}, ">= 0"),
        ("POST", "/advance", {"seconds": "1"}, "number"),
        (
            "POST",
            "/local_start",
            {"provider": "edrv", "station": station, "connector": 1},
            "id_tag",
        ),
    ]
    for method, path, body, reason in cases:
        status, answer = await api.control(method, path, body)
        assert status == 400, (path, body)
        assert reason in answer["error"], (path, answer)
    async with http.post(f"{sim.url}/_sim/plug", data=b"{not json") as response:
        assert response.status == 400
        assert "JSON" in (await response.json())["error"]


async def test_local_start_refusals(api: Api, sim: Simulator) -> None:
    station = sim.station_ids("edrv")[0]
    body = {"provider": "edrv", "station": station, "connector": 1, "id_tag": "CARD"}
    assert (await api.control("POST", "/local_start", body))[0] == 200
    status, answer = await api.control("POST", "/local_start", body)
    assert (status, "busy" in answer["error"]) == (400, True)
    await api.control("POST", "/offline", {"provider": "edrv", "station": station})
    status, answer = await api.control("POST", "/local_start", body | {"connector": 2})
    assert (status, "offline" in answer["error"]) == (400, True)
    status, answer = await api.control("POST", "/local_start", body | {"id_tag": " "})
    assert status == 400
