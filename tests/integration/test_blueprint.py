"""The solar-surplus blueprint, run as an automation against the integration and the simulator.

The grid reading is a closed loop: house load minus solar plus what the simulated car really
draws at the limit the automation set, so every decision of the automation acts back on the
reading it sees next, as on a real installation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import itertools
from pathlib import Path
import random
from unittest.mock import AsyncMock, PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.blueprint import BLUEPRINT_SCHEMA, models
from homeassistant.const import EVENT_CALL_SERVICE, STATE_OFF, STATE_ON
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util, yaml as yaml_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from simulator.world import Provider

from .conftest import Account, SetupAccount

BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation"
BLUEPRINT = BLUEPRINTS / "cpms" / "solar_surplus_charging.yaml"
GRID = "sensor.grid_power"
STEP_S = 10
HOUSE_W = 400.0
START_W = 4500
STOP_W = 500
START_DELAY_MIN = 1
STOP_DELAY_MIN = 3
MIN_ON_MIN = 10
MIN_OFF_MIN = 5
INTERVAL_S = 60
MIN_A = 6
WATTS_PER_AMP = 3 * 230  # the simulated car charges on three phases at 230 V


def test_blueprint_is_valid() -> None:
    """The shipped file passes the schema Home Assistant checks blueprints with."""
    blueprint = models.Blueprint(
        yaml_util.load_yaml_dict(BLUEPRINT), expected_domain="automation", schema=BLUEPRINT_SCHEMA
    )
    assert blueprint.domain == "automation"
    assert {"charging_switch", "current_limit", "grid_power", "adjust_interval"} <= set(
        blueprint.inputs
    )


@pytest.fixture(autouse=True)
def blueprint_folder() -> Iterator[None]:
    """Load automation blueprints from this repository, and copy none of HA's examples."""
    with (
        patch.object(
            models.DomainBlueprints,
            "blueprint_folder",
            new_callable=PropertyMock,
            return_value=BLUEPRINTS,
        ),
        patch.object(models.DomainBlueprints, "async_populate", AsyncMock()),
    ):
        yield


@pytest.fixture(autouse=True)
async def automations_off(hass: HomeAssistant) -> AsyncIterator[None]:
    """Detach the automation's timers before Home Assistant stops."""
    yield
    if hass.services.has_service(AUTOMATION_DOMAIN, "turn_off"):
        await hass.services.async_call(
            AUTOMATION_DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True
        )


@dataclass
class Run:
    """One closed-loop run: the inputs, and what the automation did."""

    account: Account
    freezer: FrozenDateTimeFactory
    switch: str
    limit: str
    connector: str
    limits: list[tuple[datetime, float]] = field(default_factory=list)
    switch_calls: list[tuple[datetime, str]] = field(default_factory=list)
    # time, surplus before the car, grid reading, switch state
    trace: list[tuple[datetime, float, float, str]] = field(default_factory=list)

    @property
    def hass(self) -> HomeAssistant:
        return self.account.hass

    def car_w(self) -> float:
        """What the simulated car draws right now."""
        world = self.account.sim.world
        connector = world.find_connector(Provider.EDRV, self.connector)
        assert connector is not None
        session = connector.session
        return 0.0 if session is None else world.power_now_w(session)

    async def step(self, solar_w: float, noise_w: float = 0.0) -> None:
        """Publish the grid reading (import positive), then let 10 s pass everywhere."""
        grid = round(HOUSE_W + self.car_w() - solar_w + noise_w)
        self.hass.states.async_set(GRID, str(grid), {"unit_of_measurement": "W"})
        self.trace.append(
            (dt_util.utcnow(), solar_w - HOUSE_W, grid, self.hass.states.get(self.switch).state)
        )
        await self.hass.async_block_till_done()
        self.freezer.tick(timedelta(seconds=STEP_S))
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        await self.account.sim.advance(STEP_S)
        await self.account.sim.flush_webhooks()
        await self.hass.async_block_till_done()

    async def play(self, profile: Callable[[int], float], minutes: float, **kw: float) -> None:
        """Step through a solar profile given per elapsed second of this phase."""
        for second in range(0, int(minutes * 60), STEP_S):
            await self.step(profile(second), **kw)

    def state(self) -> str:
        state = self.hass.states.get(self.switch)
        assert state is not None
        return state.state

    def limit_value(self) -> float:
        state = self.hass.states.get(self.limit)
        assert state is not None
        return float(state.state)


async def _start(
    account: Account, freezer: FrozenDateTimeFactory, *, status_gate: bool = False
) -> Run:
    hass = account.hass
    connector = account.connector_id()
    run = Run(
        account,
        freezer,
        switch=account.entity_id("switch", f"{connector}_charging"),
        limit=account.entity_id("number", f"{connector}_current_limit"),
        connector=connector,
    )

    def record(event: Event) -> None:
        data = event.data
        now = dt_util.utcnow()
        if (data["domain"], data["service"]) == ("number", "set_value"):
            run.limits.append((now, float(data["service_data"]["value"])))
        elif data["domain"] == "switch":
            run.switch_calls.append((now, data["service"]))

    hass.bus.async_listen(EVENT_CALL_SERVICE, record)
    hass.states.async_set(GRID, str(HOUSE_W), {"unit_of_measurement": "W"})
    status = account.entity_id("sensor", f"{connector}_connector_status")
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: {
                "id": "solar",
                "use_blueprint": {
                    "path": "cpms/solar_surplus_charging.yaml",
                    "input": {
                        "charging_switch": run.switch,
                        "current_limit": run.limit,
                        "connector_status": status if status_gate else "",
                        "grid_power": GRID,
                        "start_surplus": START_W,
                        "stop_import": STOP_W,
                        "start_delay": START_DELAY_MIN,
                        "stop_delay": STOP_DELAY_MIN,
                        "min_on_time": MIN_ON_MIN,
                        "min_off_time": MIN_OFF_MIN,
                        "adjust_interval": INTERVAL_S,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.async_entity_ids(AUTOMATION_DOMAIN)
    return run


def _assert_limits_paced(run: Run, top_a: float) -> None:
    """Every limit within bounds, and no two adjustments closer than the interval."""
    ons = [t for t, service in run.switch_calls if service == "turn_on"]
    adjustments = [(t, v) for t, v in run.limits if t not in ons]
    for _t, value in run.limits:
        assert MIN_A <= value <= top_a
    for (earlier, _), (later, _) in itertools.pairwise(adjustments):
        assert (later - earlier).total_seconds() >= INTERVAL_S


def _rating(run: Run) -> float:
    state = run.hass.states.get(run.limit)
    assert state is not None
    return min(16.0, float(state.attributes["max"]))


async def test_sunny_day_with_a_passing_cloud(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """Start in the morning, follow the sun, ride out a cloud, stop at dusk, each once."""
    account = await setup_account("edrv")
    run = await _start(account, freezer)
    top_a = _rating(run)

    await run.play(lambda s: 0.0, minutes=10)  # night
    assert run.state() == STATE_OFF
    # Morning: the sun rises to 10 kW over an hour.
    await run.play(lambda s: 10_000 * s / 3600, minutes=60)
    assert run.state() == STATE_ON
    await run.play(lambda s: 10_000.0, minutes=20)
    # Full sun: the limit settles on what the surplus carries (9.6 kW: 13 A) or the rating.
    expected = min(top_a, (10_000 - HOUSE_W) // WATTS_PER_AMP)
    assert run.limit_value() in (expected, expected - 1)

    # A passing cloud, shorter than the stop delay: the limit drops, charging goes on.
    await run.play(lambda s: 2_000.0, minutes=2.5)
    assert run.state() == STATE_ON
    assert run.limit_value() < expected
    await run.play(lambda s: 10_000.0, minutes=15)
    assert run.state() == STATE_ON
    assert run.limit_value() in (expected, expected - 1)

    # Dusk: the sun sets over 40 minutes, then night.
    await run.play(lambda s: 10_000 * (1 - s / 2400), minutes=40)
    await run.play(lambda s: 0.0, minutes=15)
    assert run.state() == STATE_OFF

    assert [service for _t, service in run.switch_calls] == ["turn_on", "turn_off"]
    on_at, off_at = (t for t, _service in run.switch_calls)
    # Hysteresis: on only after the export held above the start threshold for the delay...
    before_on = [(t, grid) for t, _s, grid, _sw in run.trace if t < on_at]
    held = [t for t, grid in before_on if -grid < START_W]
    assert (on_at - max(held)).total_seconds() >= START_DELAY_MIN * 60 - STEP_S
    # ...and off only after the import held above the stop threshold for the delay.
    before_off = [(t, grid) for t, _s, grid, _sw in run.trace if on_at < t < off_at]
    fine = [t for t, grid in before_off if grid <= STOP_W]
    assert (off_at - max(fine)).total_seconds() >= STOP_DELAY_MIN * 60 - STEP_S
    # The limit followed the surplus up and down, never faster than the interval.
    assert len(run.limits) >= 6
    _assert_limits_paced(run, top_a)
    assert account.sim.counters.get("edrv POST /sessions", 0) == 1


async def test_noisy_surplus_does_not_flap(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """A reading that jumps by ±1.5 kW every 10 s starts once, never stops, paces the limit."""
    account = await setup_account("edrv")
    run = await _start(account, freezer)
    top_a = _rating(run)
    noise = random.Random(7)  # noqa: S311 (reproducible noise, not secrets)

    await run.play(lambda s: 0.0, minutes=5)
    for _ in range(6 * 60):
        await run.step(9_000.0, noise_w=noise.uniform(-1500, 1500))

    assert [service for _t, service in run.switch_calls] == ["turn_on"]
    assert run.state() == STATE_ON
    _assert_limits_paced(run, top_a)
    # At most one change per interval over the noisy hour.
    assert len(run.limits) <= 1 + (60 * 60) // INTERVAL_S


async def test_between_the_thresholds_nothing_switches(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """Below the start threshold nothing starts; below the stop threshold nothing stops."""
    account = await setup_account("edrv")
    run = await _start(account, freezer)

    await run.play(lambda s: 0.0, minutes=5)
    await run.play(lambda s: HOUSE_W + START_W - 300, minutes=30)
    assert run.switch_calls == []

    await run.play(lambda s: HOUSE_W + START_W + 1000, minutes=15)
    assert run.state() == STATE_ON
    # The car at the minimum current, and a small import: it keeps charging.
    minimum_w = MIN_A * WATTS_PER_AMP
    await run.play(lambda s: HOUSE_W + minimum_w - STOP_W + 200, minutes=30)
    assert run.state() == STATE_ON
    assert run.limit_value() == MIN_A
    assert [service for _t, service in run.switch_calls] == ["turn_on"]


async def test_no_start_without_a_car(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """With the connector status as input, an empty connector costs no start request."""
    account = await setup_account("edrv")
    station = account.sim.station_ids("edrv")[0]
    account.sim.unplug("edrv", station, 1)
    await account.run(0)
    run = await _start(account, freezer, status_gate=True)

    await run.play(lambda s: 0.0, minutes=2)
    await run.play(lambda s: 9_000.0, minutes=10)
    assert run.switch_calls == []
    assert account.sim.counters.get("edrv POST /sessions", 0) == 0

    account.sim.plug("edrv", station, 1)
    # Deliver the status before the clock jumps, as a station would at once.
    await account.run(0)
    await run.play(lambda s: 9_000.0, minutes=2)
    assert [service for _t, service in run.switch_calls] == ["turn_on"]
    assert run.state() == STATE_ON
