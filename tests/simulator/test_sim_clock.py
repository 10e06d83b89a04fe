"""Simulated time, determinism, the running clock, and the package's boundaries."""

from __future__ import annotations

import ast
import asyncio
from pathlib import Path
import time
from typing import TYPE_CHECKING

import pytest

from simulator import Simulator, SimulatorConfig, SimulatorError
from simulator.clock import SimClock, epoch_ms, iso

from .helpers import Api, Receiver

if TYPE_CHECKING:
    import aiohttp

    from .conftest import MakeSim

PACKAGE = Path(__file__).parents[2] / "simulator"


def test_callbacks_run_in_due_order_at_their_own_time() -> None:
    clock = SimClock(1000.0)
    seen: list[tuple[str, float]] = []
    clock.call_later(5, lambda: seen.append(("b", clock.now)))
    clock.call_later(1, lambda: seen.append(("a", clock.now)))
    clock.call_later(5, lambda: seen.append(("c", clock.now)))

    def chain() -> None:
        seen.append(("d", clock.now))
        clock.call_later(0, lambda: seen.append(("e", clock.now)))

    clock.call_later(2, chain)
    clock.advance(4)
    assert seen == [("a", 1001.0), ("d", 1002.0), ("e", 1002.0)]
    assert clock.now == 1004.0
    clock.advance(10)
    assert seen[3:] == [("b", 1005.0), ("c", 1005.0)]
    assert clock.pending == 0
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_time_formats() -> None:
    assert iso(0.5) == "1970-01-01T00:00:00.500Z"
    assert epoch_ms(1.2346) == 1235


def test_config_is_checked() -> None:
    for bad in (
        {"clock_factor": -1},
        {"connectors": 0},
        {"meter_interval_s": 0},
        {"start_delay_s": -1},
        {"max_page_size": 0},
        {"users": ()},
        {"edrv_dialect": "v2"},
        {"thor_dialect": "v2"},
        {"variant": "odd"},
    ):
        with pytest.raises(ValueError):  # noqa: PT011
            SimulatorConfig(**bad)


async def test_ids_repeat_with_the_seed() -> None:
    def ids(seed: int) -> list[str]:
        sim = Simulator(SimulatorConfig(seed=seed))
        return sim.station_ids("edrv") + sim.station_ids("thor") + sim.edrv_user_ids

    assert ids(3) == ids(3)
    assert ids(3) != ids(4)


async def test_advance_refuses_negative_time(make_sim: MakeSim) -> None:
    sim = await make_sim()
    with pytest.raises(SimulatorError):
        await sim.advance(-1)
    with pytest.raises(SimulatorError):
        sim.station_ids("tesla")


async def test_url_needs_a_started_simulator() -> None:
    sim = Simulator()
    with pytest.raises(SimulatorError):
        _ = sim.url
    await sim.stop()  # stopping an idle simulator is harmless


async def test_running_clock_moves_on_its_own(make_sim: MakeSim) -> None:
    sim = await make_sim(clock_factor=100)
    box = sim.station_ids("thor")[0]
    sim.local_start("thor", box, 1, "CARD")
    before = sim.clock.now
    for _ in range(40):
        await asyncio.sleep(0.05)
        if sim.world.sessions[0].updated_at > before:
            break
    # 30 simulated seconds to the first meter tick take 0.3 real seconds at 100x.
    assert sim.clock.now - before >= 30
    assert sim.world.sessions[0].updated_at > before


def test_fast_clock_reports_real_times() -> None:
    """Ten simulated minutes at 10x are one real minute: that is what timestamps say."""
    clock = SimClock(1000.0, factor=10)
    clock.advance(600)
    assert clock.now == 1600.0
    assert clock.real(clock.now) == 1060.0
    assert clock.real(1000.0) == 1000.0
    manual = SimClock(1000.0)
    manual.advance(600)
    assert manual.real(manual.now) == 1600.0


async def test_fast_clock_dates_nothing_in_the_future(
    make_sim: MakeSim, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    """An hour simulated at 100x: dates sent out are real times, and so are durations."""
    sim = await make_sim(clock_factor=100)
    box = sim.station_ids("thor")[0]
    sim.local_start("thor", box, 1, "CARD")
    await sim.advance(3600)
    await sim.flush_webhooks()
    real_now = time.time()
    (charge,) = (await Api(http, sim).thor_json("GET", "/charges/running"))["items"]
    assert charge["date_started"] / 1000 <= real_now
    meters = [note for note in receiver.payloads("thor") if "time" in note]
    # 3600 simulated seconds, 36 real ones (and what the running clock added meanwhile).
    assert 36 <= int(meters[-1]["time"]) < 60
    edrv_station = (await Api(http, sim).edrv("GET", "/chargestations"))[1]["result"][0]
    assert edrv_station["updatedAt"] <= iso(real_now)


async def test_start_twice_is_refused(make_sim: MakeSim) -> None:
    sim = await make_sim()
    with pytest.raises(SimulatorError):
        await sim.start()


def test_simulator_never_imports_homeassistant() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            assert not any(n.split(".")[0] == "homeassistant" for n in names), path
