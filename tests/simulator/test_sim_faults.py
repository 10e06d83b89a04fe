"""Fault knobs: slow, failing and rate-limited API calls, revoked keys, unruly webhooks."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from simulator import SimulatorError

from .helpers import Api

if TYPE_CHECKING:
    import aiohttp

    from simulator import Simulator

    from .conftest import MakeSim
    from .helpers import Receiver


async def test_latency(api: Api, sim: Simulator) -> None:
    sim.faults.latency_s = 0.2
    began = time.monotonic()
    status, _ = await api.edrv("GET", "/users")
    assert status == 200
    assert time.monotonic() - began >= 0.2


async def test_server_errors(api: Api, sim: Simulator) -> None:
    sim.faults.error_rate_5xx = 1.0
    assert await api.edrv("GET", "/users") == (
        500,
        {"ok": False, "message": "Internal Server Error", "result": None},
    )
    status, text = await api.thor("GET", "/chargeboxes")
    assert (status, "InternalServerError" in text) == (500, True)


async def test_error_rate_is_seeded(make_sim: MakeSim, http: aiohttp.ClientSession) -> None:
    runs = []
    for _ in range(2):
        sim = await make_sim(seed=7)
        sim.faults.error_rate_5xx = 0.5
        api = Api(http, sim)
        runs.append([(await api.edrv("GET", "/users"))[0] for _ in range(12)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


async def test_rate_limit_next(api: Api, sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.faults.rate_limit_next = 2
    sim.faults.retry_after_s = 7
    headers = {"Authorization": f"Bearer {sim.edrv_api_key}"}
    async with http.get(sim.edrv_base_url + "/users", headers=headers) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "7"
        assert await response.json() == {
            "ok": False,
            "message": "Too Many Requests",
            "result": None,
        }
    status, text = await api.thor("GET", "/chargeboxes")
    assert (status, "TooManyRequests" in text) == (429, True)
    assert (await api.edrv("GET", "/users"))[0] == 200
    assert sim.faults.rate_limit_next == 0


async def test_revoked_key(api: Api, sim: Simulator) -> None:
    sim.faults.key_revoked = True
    assert await api.edrv("GET", "/users") == (
        401,
        {"ok": False, "message": "jwt expired", "result": None},
    )
    status, text = await api.thor("GET", "/chargeboxes")
    assert (status, "APIKeyNotFound" in text) == (403, True)


async def test_webhook_drop(sim: Simulator, receiver: Receiver) -> None:
    station = sim.station_ids("edrv")[0]
    sim.faults.webhook_drop = 1
    sim.set_online("edrv", station, False)
    sim.set_online("edrv", station, True)
    await sim.flush_webhooks()
    assert receiver.edrv_types() == ["chargestation.online"]
    assert sim.webhook_counters == {"edrv dropped": 1, "edrv sent": 1}
    assert sim.faults.webhook_drop == 0


async def test_webhook_duplicate(sim: Simulator, receiver: Receiver) -> None:
    sim.faults.webhook_duplicate = True
    sim.set_online("edrv", sim.station_ids("edrv")[0], False)
    await sim.flush_webhooks()
    first, second = receiver.of("edrv")
    assert first.body == second.body
    assert sim.webhook_counters == {"edrv sent": 2}


async def test_webhook_reorder_swaps_adjacent_pairs(sim: Simulator, receiver: Receiver) -> None:
    sim.faults.webhook_reorder = True
    station = sim.station_ids("edrv")[0]
    for online in (False, True, False, True, False):
        sim.set_online("edrv", station, online)
    await sim.flush_webhooks()
    assert [t.split(".")[1] for t in receiver.edrv_types()] == [
        "online",
        "offline",
        "online",
        "offline",
        "offline",
    ]


async def test_webhook_delay(sim: Simulator, receiver: Receiver) -> None:
    sim.faults.webhook_delay_s = 0.2
    began = time.monotonic()
    sim.set_online("thor", sim.station_ids("thor")[0], False)
    sim.local_start("thor", sim.station_ids("thor")[1], 1, "CARD")
    await sim.flush_webhooks()
    assert time.monotonic() - began >= 0.2
    assert len(receiver.of("thor")) == 1


async def test_webhook_hold(sim: Simulator, receiver: Receiver) -> None:
    sim.faults.webhook_hold = True
    station = sim.station_ids("edrv")[0]
    sim.set_online("edrv", station, False)
    sim.set_online("edrv", station, True)
    await sim.flush_webhooks()
    assert receiver.of("edrv") == []
    assert sim.state()["webhooks"]["edrv"]["queued"] == 2  # type: ignore[index]
    sim.faults.webhook_hold = False
    await sim.flush_webhooks()
    assert receiver.edrv_types() == ["chargestation.offline", "chargestation.online"]


async def test_failed_deliveries_are_retried_twice_then_counted(
    sim: Simulator, receiver: Receiver
) -> None:
    receiver.status = 500
    sim.set_online("edrv", sim.station_ids("edrv")[0], False)
    await sim.flush_webhooks()
    assert len(receiver.of("edrv")) == 3
    assert sim.webhook_counters == {"edrv failed": 1}


async def test_unreachable_receiver_is_counted(make_sim: MakeSim, receiver: Receiver) -> None:
    sim = await make_sim()
    url = receiver.url("edrv")
    await receiver.stop()
    sim.set_webhook_url("edrv", url)
    sim.set_online("edrv", sim.station_ids("edrv")[0], False)
    await sim.flush_webhooks()
    assert sim.webhook_counters == {"edrv failed": 1}


async def test_no_url_skips(sim: Simulator, receiver: Receiver) -> None:
    sim.set_webhook_url("thor", None)
    sim.local_start("thor", sim.station_ids("thor")[0], 1, "CARD")
    await sim.flush_webhooks()
    assert receiver.of("thor") == []
    assert sim.webhook_counters == {"thor skipped": 1}


def test_fault_updates_are_checked(sim: Simulator) -> None:
    sim.faults.update({"latency_s": 1, "fail_next_start": "402 ChargeboxNotFree"})
    assert sim.faults.latency_s == 1.0
    assert isinstance(sim.faults.latency_s, float)
    for bad in (
        {"nope": 1},
        {"latency_s": -1},
        {"latency_s": True},
        {"error_rate_5xx": 2},
        {"rate_limit_next": 1.5},
        {"key_revoked": "yes"},
        {"fail_next_stop": ""},
    ):
        with pytest.raises(SimulatorError):
            sim.faults.update(bad)
    # A bad update changes nothing, even its valid parts.
    with pytest.raises(SimulatorError, match="webhook_drop"):
        sim.faults.update({"latency_s": 0, "webhook_drop": -1})
    assert sim.faults.latency_s == 1.0
