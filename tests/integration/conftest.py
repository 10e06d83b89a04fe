"""Home Assistant with the cpms integration, wired to a simulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from unittest.mock import PropertyMock, patch

from aiohttp.test_utils import TestClient
from aiohttp.web import Application, Request
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.cpms.const import (
    CONF_ADD_NEW_STATIONS,
    CONF_ADVANCED,
    CONF_BASE_URL,
    CONF_COMMAND_URL,
    CONF_PROVIDER,
    CONF_STATIONS,
    CONF_USER_ID,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
)
from simulator import Simulator, SimulatorConfig

SECRET = "whsec-cpms-test"


@pytest.fixture
def edrv_dialect() -> str:
    """The eDRV dialect the simulator speaks; parametrize this name to change it."""
    return "docs"


@pytest.fixture
def thor_dialect() -> str:
    """The Thor dialect the simulator speaks; parametrize this name to change it."""
    return "docs"


@pytest.fixture
async def simulator(
    socket_enabled: None, edrv_dialect: str, thor_dialect: str
) -> AsyncIterator[Simulator]:
    """Both clouds, on a manual clock, signing eDRV webhooks with SECRET."""
    sim = Simulator(
        SimulatorConfig(
            edrv_webhook_secret=SECRET,
            start_timeout_s=120,
            edrv_dialect=edrv_dialect,
            thor_dialect=thor_dialect,
        )
    )
    await sim.start()
    yield sim
    await sim.stop()


@dataclass
class Account:
    """A configured account and what tests need to drive it."""

    hass: HomeAssistant
    sim: Simulator
    provider: str
    entry: ConfigEntry

    @property
    def webhook_path(self) -> str:
        return f"/api/webhook/{self.entry.data[CONF_WEBHOOK_ID]}"

    def entity_id(self, platform: str, unique_id: str) -> str:
        entity_id = er.async_get(self.hass).async_get_entity_id(platform, DOMAIN, unique_id)
        assert entity_id, unique_id
        return entity_id

    def connector_id(self, station: int = 0, connector: int = 1) -> str:
        """Our connector id of the n-th station's connector (1-based)."""
        station_id = self.sim.station_ids(self.provider)[station]
        return self.sim.connector_ids(self.provider, station_id)[connector - 1]

    def state(self, platform: str, unique_id: str) -> str:
        state = self.hass.states.get(self.entity_id(platform, unique_id))
        assert state is not None
        return state.state

    async def switch(self, service: str, connector: str) -> None:
        """Turn a connector's Charging switch on or off, as the UI does."""
        await self.hass.services.async_call(
            "switch",
            service,
            {"entity_id": self.entity_id("switch", f"{connector}_charging")},
            blocking=True,
        )

    async def pass_time(self, freezer: FrozenDateTimeFactory, seconds: float) -> None:
        """Move Home Assistant's clock, firing its timers (deadlines, refreshes)."""
        freezer.tick(timedelta(seconds=seconds))
        async_fire_time_changed(self.hass)
        await self.hass.async_block_till_done(wait_background_tasks=True)
        await self.sim.flush_webhooks()
        await self.hass.async_block_till_done()

    def webhook_issue(self) -> ir.IssueEntry | None:
        """The repair issue saying that webhooks are not arriving, if raised."""
        return ir.async_get(self.hass).async_get_issue(
            DOMAIN, f"webhooks_not_arriving_{self.entry.entry_id}"
        )

    async def run(self, seconds: float = 0) -> None:
        """Let the simulated cloud move on, and Home Assistant take in its webhooks."""
        await self.hass.async_block_till_done()
        await self.sim.advance(seconds)
        await self.sim.flush_webhooks()
        await self.hass.async_block_till_done()


type SetupAccount = Callable[..., Awaitable[Account]]


def _addresses(sim: Simulator, provider: str) -> dict[str, str]:
    """The simulator's API addresses, as the Advanced section takes them.

    Thor's commands go to the command host its docs name (another prefix here).
    """
    if provider == "edrv":
        return {CONF_BASE_URL: sim.edrv_base_url}
    return {CONF_BASE_URL: sim.thor_base_url, CONF_COMMAND_URL: sim.thor_command_base_url}


async def _http_client(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator
) -> TestClient[Request, Application]:
    """Home Assistant's HTTP server, where the simulator delivers its webhooks."""
    # The router freezes when the server starts: every view must be registered first.
    for component in ("webhook", "diagnostics", "repairs"):
        assert await async_setup_component(hass, component, {})
    return await hass_client_no_auth()


def _wired(account: Account, client: TestClient[Request, Application]) -> Account:
    """Point the simulator's webhooks at the account's endpoint on the test server."""
    account.sim.set_webhook_url(account.provider, str(client.make_url(account.webhook_path)))
    return account


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer (registry ids and times as ANY)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create every entity enabled, the noisy ones too."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
async def setup_account(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> SetupAccount:
    """Configure an account through the config flow, as a user would, and wire its webhook."""
    client = await _http_client(hass, hass_client_no_auth)

    async def setup(provider: str, *, secret: str | None = SECRET) -> Account:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PROVIDER: provider}
        )
        api_key = simulator.edrv_api_key if provider == "edrv" else simulator.thor_api_key
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_API_KEY: api_key, CONF_ADVANCED: _addresses(simulator, provider)},
        )
        if provider == "edrv":
            assert result["step_id"] == "edrv_user"
            user_input = {CONF_USER_ID: simulator.edrv_user_ids[0]}
            if secret:
                user_input[CONF_WEBHOOK_SECRET] = secret
            result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
        if result["step_id"] == "stations":  # a large account: all of them, as suggested
            result = await hass.config_entries.flow.async_configure(
                result["flow_id"],
                {CONF_STATIONS: simulator.station_ids(provider), CONF_ADD_NEW_STATIONS: True},
            )
        assert result["step_id"] == f"webhook_{provider}"
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        entry = result["result"]
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        return _wired(Account(hass, simulator, provider, entry), client)

    return setup


@pytest.fixture
async def setup_stored_account(
    hass: HomeAssistant,
    simulator: Simulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> SetupAccount:
    """An account from a stored config entry with fixed ids, as snapshots need."""
    client = await _http_client(hass, hass_client_no_auth)

    async def setup(provider: str, *, secret: str | None = SECRET) -> Account:
        edrv = provider == "edrv"
        entry = MockConfigEntry(
            domain=DOMAIN,
            entry_id=f"{provider}_entry",
            title="eDRV" if edrv else "Thor",
            unique_id=f"{provider}_{min(simulator.station_ids(provider))}",
            data={
                CONF_PROVIDER: provider,
                CONF_API_KEY: simulator.edrv_api_key if edrv else simulator.thor_api_key,
                **_addresses(simulator, provider),
                CONF_WEBHOOK_ID: f"{provider}_webhook_id",
            },
            options=(
                {CONF_USER_ID: simulator.edrv_user_ids[0], CONF_WEBHOOK_SECRET: secret or ""}
                if edrv
                else {}
            ),
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        return _wired(Account(hass, simulator, provider, entry), client)

    return setup
