"""What the docs leave open, survived through Home Assistant: each point against its dialect."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_OFF
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cpms.const import CONF_COMMAND_URL, DOMAIN

from .conftest import SECRET, Account, SetupAccount


def _access_issue(account: Account, kind: str = "access_denied") -> ir.IssueEntry | None:
    return ir.async_get(account.hass).async_get_issue(DOMAIN, f"{kind}_{account.entry.entry_id}")


def _reauth_flows(account: Account) -> list[str]:
    flows = account.hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return [flow["context"]["source"] for flow in flows]


async def test_thor_commands_refused_at_every_host_never_loop_reauth(
    setup_account: SetupAccount,
) -> None:
    """Point 1: reads work with the key, commands are refused where they are sent: the user
    is told what to change, and no reauthentication starts (it would succeed and loop)."""
    account = await setup_account("thor")
    hass = account.hass
    # The guess of a single host: commands to the read host, which refuses them (the docs'
    # own dialect sends them to the command host).
    hass.config_entries.async_update_entry(
        account.entry, data={**account.entry.data, CONF_COMMAND_URL: account.sim.thor_base_url}
    )
    assert await hass.config_entries.async_reload(account.entry.entry_id)
    await hass.async_block_till_done()
    connector = account.connector_id()
    with pytest.raises(HomeAssistantError) as raised:
        await account.switch(SERVICE_TURN_ON, connector)
    assert raised.value.translation_key == "commands_refused"
    await hass.async_block_till_done()
    assert _reauth_flows(account) == []
    issue = _access_issue(account, "commands_refused")
    assert issue is not None
    assert issue.translation_key == "access_commands_refused"
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    # Reads go on working, and do not make the issue go away; a command that goes through does.
    await account.entry.runtime_data.async_refresh()
    assert _access_issue(account, "commands_refused") is not None
    hass.config_entries.async_update_entry(
        account.entry,
        data={**account.entry.data, CONF_COMMAND_URL: account.sim.thor_command_base_url},
    )
    assert await hass.config_entries.async_reload(account.entry.entry_id)
    await hass.async_block_till_done()
    await account.switch(SERVICE_TURN_ON, connector)
    assert _access_issue(account, "commands_refused") is None


async def test_thor_command_host_fallback_is_remembered(
    setup_account: SetupAccount, thor_dialect: str
) -> None:
    """Point 1: the documented command host refuses the key, the read host takes the command;
    it is kept, across a restart, and nothing has to be repaired."""
    account = await setup_account("thor")
    account.sim.set_dialect("thor", "one-host")
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    assert account.entry.data[CONF_COMMAND_URL] == account.sim.thor_base_url
    assert await account.hass.config_entries.async_reload(account.entry.entry_id)
    await account.hass.async_block_till_done()
    account.sim.reset_counters()
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert "thor-dev POST /charges/stop" not in account.sim.counters
    assert _access_issue(account) is None
    assert _reauth_flows(account) == []


@pytest.mark.parametrize(
    ("code", "issue_key", "error_key"),
    [
        ("RestAPINotEnabled", "access_rest_api_disabled", "rest_api_disabled"),
        ("InvalidSourceIPAddr", "access_ip_not_allowed", "ip_not_allowed"),
    ],
)
async def test_thor_dashboard_refusals_raise_a_repair_issue(
    setup_account: SetupAccount,
    freezer: FrozenDateTimeFactory,
    code: str,
    issue_key: str,
    error_key: str,
) -> None:
    """Point 7: a disabled REST API or a refused IP address is no bad key: no reauth, and a
    repair issue names the dashboard setting; it goes away when the cloud answers again."""
    account = await setup_account("thor")
    connector = account.connector_id()
    account.sim.faults.refuse_requests = f"403 {code}"
    with pytest.raises(HomeAssistantError) as raised:
        await account.switch(SERVICE_TURN_ON, connector)
    assert raised.value.translation_key == error_key
    await account.pass_time(freezer, 61)
    issue = _access_issue(account)
    assert issue is not None
    assert issue.translation_key == issue_key
    assert _reauth_flows(account) == []
    account.sim.faults.refuse_requests = None
    await account.pass_time(freezer, 5 * 60)
    assert _access_issue(account) is None
    assert account.state("switch", f"{connector}_charging") == STATE_OFF


async def test_thor_stop_answered_not_in_transaction_reads_the_session(
    setup_account: SetupAccount,
) -> None:
    """Point 8: the charge ended without a webhook; the stop says NotInTransaction. The
    session is read again and shown ended, not put back to charging."""
    account = await setup_account("thor")
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    account.sim.faults.webhook_drop = 100
    account.sim.unplug("thor", account.sim.station_ids("thor")[0], 1)
    await account.run(10)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    await account.switch(SERVICE_TURN_OFF, connector)  # no error: it is off, as asked
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert float(account.state("sensor", f"{connector}_session_energy")) > 0


async def test_thor_stop_refused_while_it_still_runs_shows_the_truth(
    setup_account: SetupAccount,
) -> None:
    """Point 8, the other way: the cloud lists the charge as running: an error, still on."""
    account = await setup_account("thor")
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    account.sim.faults.fail_next_stop = "400 NotInTransaction"
    with pytest.raises(HomeAssistantError) as raised:
        await account.switch(SERVICE_TURN_OFF, connector)
    assert raised.value.translation_key == "not_in_transaction"
    assert account.state("sensor", f"{connector}_session_status") == "charging"


async def test_edrv_connector_default_limit_refused_without_station(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Point 9: the documented action of a connector's default limit names no chargestation;
    its rejection still finds the connector and reverts the limit shown."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    number = account.entity_id("number", f"{connector}_current_limit")
    for amps in (10, 14):
        await account.hass.services.async_call(
            "number", "set_value", {ATTR_ENTITY_ID: number, "value": amps}, blocking=True
        )
        await account.pass_time(freezer, 15)  # each one sent: the limit is paced
    await account.run(0)  # the simulator's own answers arrive first
    body = json.dumps(
        {
            "_id": "evt-default-rejected",
            "type": "chargestation.set_power_limit.rejected",
            "object": "action",
            "createdAt": "2026-11-22T08:00:00.000Z",
            "data": {
                "_id": "660000000000000000000002",
                "type": "chargestation.set_power_limit",
                "status": "failed",
                "connector": connector,
                "data": {"unit": "current", "limit": 14},
            },
        }
    ).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    client = await hass_client_no_auth()
    response = await client.post(
        account.webhook_path,
        data=body,
        headers={"edrv-signature": f"t={int(time.time())},v1={digest}"},
    )
    await account.hass.async_block_till_done()
    assert response.status == 200
    assert account.state("number", f"{connector}_current_limit") == "10.0"


@pytest.mark.parametrize("thor_dialect", ["meters-without-kwh"])
async def test_thor_energy_from_the_register_survives_a_restart(
    setup_account: SetupAccount, thor_dialect: str
) -> None:
    """Point 12: meters without kwh: the energy is the register's rise since the session
    began, kept across a restart, never the register itself."""
    account = await setup_account("thor")
    hass = account.hass
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    for _ in range(10):  # meter values as they come, every 30 seconds
        await account.run(30)
    before = float(account.state("sensor", f"{connector}_session_energy"))
    assert 0 < before < 1
    assert await hass.config_entries.async_reload(account.entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(10):
        await account.run(30)
    after = float(account.state("sensor", f"{connector}_session_energy"))
    (charged,) = account.sim.state()["sessions"]
    assert before < after < 2
    # Meter values come every 30 simulated seconds: at most a minute behind at 11 kW.
    assert after == pytest.approx(charged["energy_wh"] / 1000, abs=0.2)
