"""State kept right without webhooks: safety refresh, unplugged cars, lost and late deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    ATTR_ENTITY_ID,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import SECRET, Account, SetupAccount


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_safety_refresh_catches_a_lost_end(
    setup_account: SetupAccount, provider: str, freezer: FrozenDateTimeFactory
) -> None:
    """The car is unplugged and the end webhook is lost: the safety refresh finds out."""
    account = await setup_account(provider)
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(120)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    account.sim.faults.webhook_drop = 100
    account.sim.unplug(provider, account.sim.station_ids(provider)[0], 1)
    await account.run(10)
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    await account.pass_time(freezer, 15 * 60 + 1)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert account.webhook_issue() is not None


async def test_meter_values_reveal_a_lost_start(setup_account: SetupAccount) -> None:
    """Thor's start notification for a card was lost: its meter values show the charge."""
    account = await setup_account("thor")
    connector = account.connector_id()
    account.sim.faults.webhook_drop = 1
    account.sim.local_start("thor", account.sim.station_ids("thor")[0], 1, "CARD-7")
    await account.run(90)
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert float(account.state("sensor", f"{connector}_session_energy")) > 0
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "ended"


async def test_failed_refresh_makes_entities_unavailable(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """The cloud API fails: entities go unavailable, and come back with the next answer."""
    account = await setup_account("thor")
    connector = account.connector_id()
    account.sim.faults.refuse_requests = "400 Bad Request"
    await account.pass_time(freezer, 61)
    assert account.state("switch", f"{connector}_charging") == STATE_UNAVAILABLE
    account.sim.faults.refuse_requests = None
    await account.pass_time(freezer, 61)
    assert account.state("switch", f"{connector}_charging") == STATE_OFF


async def test_deadline_read_fails_then_refresh_corrects(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """The deadline's read fails too: nothing is made up, and the next good read corrects it."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    account.sim.faults.webhook_drop = 100
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    account.sim.faults.refuse_requests = "400 Bad Request"
    await account.pass_time(freezer, 151)
    assert "Checking session" in caplog.text
    # Webhooks were never confirmed, so the every-minute read failed as well.
    assert account.state("sensor", f"{connector}_session_status") == STATE_UNAVAILABLE
    account.sim.faults.refuse_requests = None
    await account.pass_time(freezer, 61)
    assert account.state("sensor", f"{connector}_session_status") == "charging"


async def test_repeated_commands_are_no_ops(setup_account: SetupAccount) -> None:
    """On when on, off when off: nothing is sent twice."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    account.sim.reset_counters()
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.switch(SERVICE_TURN_ON, connector)
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(10)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.switch(SERVICE_TURN_OFF, connector)
    assert account.sim.counters == {
        "edrv POST /sessions": 1,
        "edrv GET /sessions/{id}/stop": 1,
    }


async def _post_signed(
    account: Account, client_factory: ClientSessionGenerator, payload: dict[str, object]
) -> int:
    body = json.dumps(payload).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    client = await client_factory()
    response = await client.post(
        account.webhook_path,
        data=body,
        headers={"edrv-signature": f"t={int(time.time())},v1={digest}"},
    )
    await account.hass.async_block_till_done()
    return response.status


async def test_late_end_of_an_older_session_is_ignored(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A delayed session.ended of an earlier session does not end the one running now."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    late = {
        "_id": "evt-late",
        "type": "session.ended",
        "object": "session",
        "createdAt": "2026-11-22T08:00:00.000Z",
        "data": {
            "_id": "650000000000000000000001",
            "chargestation": account.sim.station_ids("edrv")[0],
            "connector": connector,
            "status": "Ended",
            "metrics": {"energyConsumed": 9000},
        },
    }
    assert await _post_signed(account, hass_client_no_auth, late) == 200
    assert account.state("sensor", f"{connector}_session_status") == "charging"


async def test_refused_limit_is_reverted(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The station refuses a current limit: the number shows what it still applies."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    number = account.entity_id("number", f"{connector}_current_limit")
    for amps in (10, 14):
        await account.hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: number, "value": amps}, blocking=True
        )
        await account.pass_time(freezer, 15)  # each one sent: the limit is paced
    action = {
        "_id": "evt-action",
        "type": "chargestation.set_power_limit.rejected",
        "object": "action",
        "createdAt": "2026-11-22T08:00:00.000Z",
        "data": {
            "_id": "660000000000000000000001",
            "type": "chargestation.set_power_limit",
            "status": "failed",
            "chargestation": account.sim.station_ids("edrv")[0],
            "connector": connector,
            "data": {"unit": "current", "limit": 14},
        },
    }
    assert await _post_signed(account, hass_client_no_auth, action) == 200
    assert "rejected" in caplog.text
    assert account.state("number", f"{connector}_current_limit") == "10.0"
    assert account.state("sensor", f"{connector}_session_status") == "idle"
