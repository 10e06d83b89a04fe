"""Entities, devices and diagnostics, recorded as snapshots of a charging account."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.cpms.const import DOMAIN

from .conftest import Account, SetupAccount

pytestmark = pytest.mark.freeze_time("2026-11-22 10:00:00+00:00")


async def _charging_account(setup: SetupAccount, provider: str) -> Account:
    account = await setup(provider)
    account.sim.local_start(provider, account.sim.station_ids(provider)[0], 1, "CARD-0042")
    await account.run(600)
    return account


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    ("provider", "platform"),
    [
        *[
            (p, platform)
            for p in ("edrv", "thor")
            for platform in (Platform.SENSOR, Platform.SWITCH, Platform.BINARY_SENSOR)
        ],
        ("edrv", Platform.NUMBER),  # Thor has no current limit
    ],
)
async def test_entities(
    setup_stored_account: SetupAccount,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    provider: str,
    platform: Platform,
) -> None:
    """Every entity of a platform, with its registry entry and state, mid-session."""
    with patch("custom_components.cpms.PLATFORMS", [platform]):
        account = await _charging_account(setup_stored_account, provider)
    await snapshot_platform(account.hass, entity_registry, snapshot, account.entry.entry_id)


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_devices(
    setup_stored_account: SetupAccount,
    device_registry: dr.DeviceRegistry,
    provider: str,
) -> None:
    """The account, a device per station under it, and a child device per connector."""
    account = await setup_stored_account(provider)
    entry_id = account.entry.entry_id
    devices = dr.async_entries_for_config_entry(device_registry, entry_id)
    children = dr.async_child_entries_for_config_entry(device_registry, entry_id)
    stations = account.sim.station_ids(provider)
    account_device = device_registry.async_get_device_by_identifier((DOMAIN, entry_id), entry_id)
    assert account_device is not None
    assert account_device.entry_type is dr.DeviceEntryType.SERVICE
    assert len(devices) == 1 + len(stations)
    for station_id in stations:
        station = device_registry.async_get_device_by_identifier((DOMAIN, station_id), entry_id)
        assert station is not None
        assert station.via_device_id == account_device.id
        connectors = account.sim.connector_ids(provider, station_id)
        assert sorted(c.parent_device_id for c in children if c.parent_device_id == station.id) == [
            station.id
        ] * len(connectors)
    assert len(children) == sum(len(account.sim.connector_ids(provider, s)) for s in stations)


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_disabled_by_default(
    setup_stored_account: SetupAccount, entity_registry: er.EntityRegistry, provider: str
) -> None:
    """Current and state of charge are noisy or rare: disabled until a user wants them."""
    account = await setup_stored_account(provider)
    connector = account.connector_id()
    for key in ("current", "state_of_charge"):
        entity = entity_registry.async_get(account.entity_id("sensor", f"{connector}_{key}"))
        assert entity is not None
        assert entity.disabled_by is er.RegistryEntryDisabler.INTEGRATION


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_diagnostics(
    setup_stored_account: SetupAccount,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    provider: str,
) -> None:
    """Diagnostics show the state, with keys, secrets, the webhook and id tags redacted."""
    account = await _charging_account(setup_stored_account, provider)
    diagnostics = await get_diagnostics_for_config_entry(account.hass, hass_client, account.entry)
    text = str(diagnostics)
    for secret in (
        account.sim.edrv_api_key,
        account.sim.thor_api_key,
        account.entry.data["webhook_id"],
        "CARD-0042",
        "whsec",
    ):
        assert secret not in text
    # What the cloud sent is kept redacted: masked names and ids, signature values cut.
    cloud = diagnostics["cloud"]
    assert cloud["deliveries"]
    assert cloud["answers"]
    assert "Zoë" not in text
    # The simulator's port changes from run to run.
    assert diagnostics == snapshot(
        exclude=props("base_url", "command_url", "Thor host accepting commands")
    )
