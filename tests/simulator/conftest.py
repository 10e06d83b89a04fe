"""Fixtures of the simulator tests: a manual-clock simulator wired to a local receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from simulator import Simulator, SimulatorConfig

from .helpers import Api, Receiver

SECRET = "whsec-test"

type MakeSim = Callable[..., Awaitable[Simulator]]


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(socket_enabled: None) -> None:
    """Override the root fixture: no Home Assistant, but real sockets (connects stay local)."""


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
async def make_sim(receiver: Receiver) -> AsyncIterator[MakeSim]:
    """Start simulators with a manual clock, short delays and webhooks to `receiver`."""
    started: list[Simulator] = []

    async def make(**overrides: Any) -> Simulator:
        settings: dict[str, Any] = {
            "clock_factor": 0,
            "edrv_webhook_url": receiver.url("edrv"),
            "thor_webhook_url": receiver.url("thor"),
            "edrv_webhook_secret": SECRET,
            "start_delay_s": 2,
            "stop_delay_s": 3,
            "meter_interval_s": 30,
            "variant": "plain",
        }
        sim = Simulator(SimulatorConfig(**(settings | overrides)))
        await sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


@pytest.fixture
async def sim(make_sim: MakeSim) -> Simulator:
    return await make_sim()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(http: aiohttp.ClientSession, sim: Simulator) -> Api:
    return Api(http, sim)
