"""Fixtures of the provider-layer tests: the simulator, an HTTP session and the clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from custom_components.cpms.api import EdrvClient, ThorClient
from simulator import Simulator, SimulatorConfig

type SimFactory = Callable[..., Awaitable[Simulator]]


class RecordedSleep:
    """Stands in for asyncio.sleep: records each pause and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the root fixture: the provider layer needs no Home Assistant instance."""


@pytest.fixture
async def make_sim(socket_enabled: None) -> AsyncIterator[SimFactory]:
    """Start simulators on 127.0.0.1 with a manual clock; stop them after the test."""
    started: list[Simulator] = []

    async def make(**config: Any) -> Simulator:
        sim = Simulator(SimulatorConfig(host="127.0.0.1", port=0, clock_factor=0, **config))
        await sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in started:
        await sim.stop()


@pytest.fixture
async def sim(make_sim: SimFactory) -> Simulator:
    """A simulator with the default layout: two stations of two connectors per provider."""
    return await make_sim()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP session owned by the test, as Home Assistant's would be."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def sleep() -> RecordedSleep:
    """The clients' sleep: records back-off pauses without waiting."""
    return RecordedSleep()


@pytest.fixture
def edrv(sim: Simulator, http: aiohttp.ClientSession, sleep: RecordedSleep) -> EdrvClient:
    """An eDRV client on the simulator, acting for the "Home Assistant" user."""
    return EdrvClient(
        http,
        sim.edrv_api_key,
        base_url=sim.edrv_base_url,
        user_id=sim.edrv_user_ids[0],
        sleep=sleep,
    )


@pytest.fixture
def thor(sim: Simulator, http: aiohttp.ClientSession, sleep: RecordedSleep) -> ThorClient:
    """A Thor client on the simulator."""
    return ThorClient(
        http,
        sim.thor_api_key,
        base_url=sim.thor_base_url,
        command_url=sim.thor_command_base_url,
        sleep=sleep,
    )
