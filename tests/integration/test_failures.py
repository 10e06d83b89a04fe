"""What goes wrong: rejections, no vehicle, failed stops, offline stations, lost webhooks."""

from __future__ import annotations

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
)

from custom_components.cpms.const import DOMAIN, EVENT_SESSION_ENDED

from .conftest import Account, SetupAccount

PROVIDERS = ["edrv", "thor"]


async def _charging(account: Account) -> str:
    """Start a session on the first connector and let it charge a while."""
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    return connector


# eDRV: "Started", "started" and "created", as its status filter matches the stored spelling.
ACTIVE_LIST = {"edrv": {"edrv GET /sessions": 3}, "thor": {"thor GET /charges/running": 1}}


@pytest.mark.parametrize(
    ("provider", "failure", "key"),
    [
        ("edrv", "406 Chargestation is offline", "station_offline"),
        ("edrv", "400 Connector is busy", "rejected"),
        ("thor", "ChargeboxNotFree", "not_free"),
        ("thor", "AlreadyInTransaction", "already_in_transaction"),
        ("thor", "ChargeboxNotActive", "station_not_active"),
        ("thor", "ConnectorNotValid", "connector_not_valid"),
        ("thor", "TooManyRequests", "rate_limited"),
        ("thor", "ChargeboxNotFound", "not_found"),
    ],
)
async def test_start_rejected(
    setup_account: SetupAccount, provider: str, failure: str, key: str
) -> None:
    """The cloud refuses the start: a translated error, the switch back off, one call only."""
    account = await setup_account(provider)
    connector = account.connector_id()
    account.sim.faults.fail_next_start = failure
    account.sim.reset_counters()
    with pytest.raises(HomeAssistantError) as raised:
        await account.switch(SERVICE_TURN_ON, connector)
    assert raised.value.translation_key == key
    assert str(raised.value)  # the translated message, not the key
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert account.state("sensor", f"{connector}_session_status") == "idle"
    starts = {
        k: v for k, v in account.sim.counters.items() if "start" in k or "POST /sessions" in k
    }
    assert list(starts.values()) == [1]  # never retried


@pytest.mark.parametrize(("provider", "final"), [("edrv", "cancelled"), ("thor", "start_failed")])
async def test_vehicle_never_plugged_in(
    setup_account: SetupAccount, provider: str, final: str
) -> None:
    """No vehicle within the timeout: the start ends, the switch goes off."""
    account = await setup_account(provider)
    connector = account.connector_id()
    station = account.sim.station_ids(provider)[0]
    account.sim.unplug(provider, station, 1)
    ended = async_capture_events(account.hass, EVENT_SESSION_ENDED)
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(10)
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    await account.run(130)
    assert account.state("sensor", f"{connector}_session_status") == final
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert [event.data["reason"] for event in ended] == [final]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_stop_fails_then_succeeds(setup_account: SetupAccount, provider: str) -> None:
    """The station refuses a stop: the session goes on and can be stopped again."""
    account = await setup_account(provider)
    connector = await _charging(account)
    account.sim.faults.fail_next_stop = "station refused"
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "stop_failed"
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "ended"


@pytest.mark.parametrize(
    ("provider", "failure", "key"),
    [
        ("edrv", "406 Chargestation is offline", "station_offline"),
        ("thor", "500 x", "cloud_failed"),
    ],
)
async def test_stop_call_fails(
    setup_account: SetupAccount, provider: str, failure: str, key: str
) -> None:
    """The stop call itself fails: a translated error and the switch back on."""
    account = await setup_account(provider)
    connector = await _charging(account)
    account.sim.faults.fail_next_stop = failure
    with pytest.raises(HomeAssistantError) as raised:
        await account.switch(SERVICE_TURN_OFF, connector)
    assert raised.value.translation_key == key
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert account.state("sensor", f"{connector}_session_status") == "charging"


async def test_station_offline_and_back(setup_account: SetupAccount) -> None:
    """eDRV pushes connectivity: entities of an offline station become unavailable."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    station = account.sim.station_ids("edrv")[0]
    account.sim.set_online("edrv", station, False)
    await account.run()
    assert account.state("binary_sensor", f"{station}_online") == STATE_OFF
    assert account.state("switch", f"{connector}_charging") == STATE_UNAVAILABLE
    account.sim.set_online("edrv", station, True)
    await account.run()
    assert account.state("binary_sensor", f"{station}_online") == STATE_ON
    assert account.state("switch", f"{connector}_charging") == STATE_OFF


async def test_start_while_offline_unnoticed(setup_account: SetupAccount) -> None:
    """The offline webhook was lost: the cloud's 406 becomes the offline message."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    account.sim.faults.webhook_drop = 1
    account.sim.set_online("edrv", account.sim.station_ids("edrv")[0], False)
    await account.run()
    with pytest.raises(HomeAssistantError) as raised:
        await account.switch(SERVICE_TURN_ON, connector)
    assert raised.value.translation_key == "station_offline"
    assert account.state("switch", f"{connector}_charging") == STATE_OFF


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_revoked_key_starts_reauth(setup_account: SetupAccount, provider: str) -> None:
    """A refused key fails the command with a clear message and asks to re-authenticate."""
    account = await setup_account(provider)
    account.sim.faults.key_revoked = True
    with pytest.raises(HomeAssistantError) as raised:
        await account.switch(SERVICE_TURN_ON, account.connector_id())
    assert raised.value.translation_key == "authentication_failed"
    await account.hass.async_block_till_done()
    flows = account.hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == ["reauth"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_lost_start_webhook_is_reconciled(
    setup_account: SetupAccount, provider: str, freezer: FrozenDateTimeFactory
) -> None:
    """No webhook confirms the start: after the deadline one read corrects it, and a repair
    issue says webhooks are not arriving, until one does."""
    account = await setup_account(provider)
    connector = await _charging(account)  # webhooks worked once
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    account.sim.faults.webhook_drop = 100
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    assert account.state("sensor", f"{connector}_session_status") in {
        "starting",
        "waiting_for_vehicle",
    }
    assert account.webhook_issue() is None
    account.sim.reset_counters()
    await account.pass_time(freezer, 151)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert sum(account.sim.counters.values()) == 1  # one read of the session
    assert account.webhook_issue() is not None

    account.sim.faults.webhook_drop = 0
    await account.run(60)
    assert account.webhook_issue() is None


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_lost_end_webhook_is_reconciled(
    setup_account: SetupAccount, provider: str, freezer: FrozenDateTimeFactory
) -> None:
    """No webhook confirms the stop: after the deadline the session reads as ended."""
    account = await setup_account(provider)
    connector = await _charging(account)
    ended = async_capture_events(account.hass, EVENT_SESSION_ENDED)
    account.sim.faults.webhook_drop = 100
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(30)
    assert account.state("sensor", f"{connector}_session_status") == "stopping"
    await account.pass_time(freezer, 121)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert float(account.state("sensor", f"{connector}_session_energy")) > 0
    assert len(ended) == 1
    assert account.webhook_issue() is not None


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_restart_mid_session(setup_account: SetupAccount, provider: str) -> None:
    """After a restart the energy does not drop and the session can still be stopped."""
    account = await setup_account(provider)
    connector = await _charging(account)
    hass, entry_id = account.hass, account.entry.entry_id
    energy = float(account.state("sensor", f"{connector}_session_energy"))

    assert await hass.config_entries.async_unload(entry_id)
    await hass.async_block_till_done()
    await account.run(30)  # webhooks sent while Home Assistant is down are lost
    assert await hass.config_entries.async_setup(entry_id)
    await hass.async_block_till_done()

    assert float(account.state("sensor", f"{connector}_session_energy")) >= energy
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    await account.run(60)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert float(account.state("sensor", f"{connector}_session_energy")) > energy


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_rfid_session_shown_and_stoppable(setup_account: SetupAccount, provider: str) -> None:
    """A session started with a card at the station shows as on and stops from Home Assistant."""
    account = await setup_account(provider)
    connector = account.connector_id()
    station = account.sim.station_ids(provider)[0]
    account.sim.local_start(provider, station, 1, "CARD-0042")
    await account.run(60)
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert account.state("switch", f"{connector}_charging") == STATE_OFF


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_no_calls_between_webhooks(
    setup_account: SetupAccount, provider: str, freezer: FrozenDateTimeFactory
) -> None:
    """A healthy session costs no API call but the safety refresh of active sessions."""
    account = await setup_account(provider)
    connector = await _charging(account)
    account.sim.reset_counters()
    for _ in range(14):
        await account.run(60)
        await account.pass_time(freezer, 60)
    assert account.sim.counters == {}
    await account.pass_time(freezer, 61)
    assert account.sim.counters == ACTIVE_LIST[provider]
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    account.sim.reset_counters()
    await account.pass_time(freezer, 3600)
    assert account.sim.counters == {}  # idle with healthy push: no polling at all


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unconfirmed_webhooks_poll_with_backoff(
    setup_account: SetupAccount, provider: str, freezer: FrozenDateTimeFactory
) -> None:
    """Until a first webhook arrives, active sessions are read after 1, 5, then every 15 min."""
    account = await setup_account(provider)
    account.sim.reset_counters()
    reads = []
    for _ in range(60):  # an hour, a minute at a time
        await account.pass_time(freezer, 60)
        reads.append(account.sim.counters != {})
        account.sim.reset_counters()
    assert [minute + 1 for minute, read in enumerate(reads) if read] == [1, 6, 21, 36, 51]
    # A first webhook: push works, and an idle account is no longer read at all.
    account.sim.local_start(provider, account.sim.station_ids(provider)[0], 1, "CARD")
    await account.run(60)
    await account.switch(SERVICE_TURN_OFF, account.connector_id())
    await account.run(10)
    account.sim.reset_counters()
    await account.pass_time(freezer, 3600)
    assert account.sim.counters == {}
