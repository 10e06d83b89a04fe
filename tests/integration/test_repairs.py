"""Repair flows, driven through Home Assistant's repairs flow manager."""

from __future__ import annotations

from datetime import timedelta
import time
from unittest.mock import AsyncMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import RepairsFlowManager, repairs_flow_manager
from homeassistant.const import SERVICE_TURN_ON
from homeassistant.core import HomeAssistant
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cpms.const import (
    CONF_CLOUDHOOK_URL,
    CONF_WEBHOOK_SECRET,
    DOMAIN,
    EDRV_WEBHOOK_EVENTS,
    THOR_WEBHOOK_SECTIONS,
)
from simulator.signing import edrv_signature
from tests.test_repository import config_yaml_fields

from .conftest import SECRET, Account, SetupAccount

CLOUDHOOK_URL = "https://hooks.nabu.casa/fixed"


def manager(hass: HomeAssistant) -> RepairsFlowManager:
    flows = repairs_flow_manager(hass)
    assert flows is not None
    return flows


async def lose_webhooks(account: Account, freezer: FrozenDateTimeFactory) -> ir.IssueEntry:
    """A session ends while its webhooks are lost; the safety refresh raises the issue."""
    provider = account.provider
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(120)
    account.sim.faults.webhook_drop = 100
    account.sim.unplug(provider, account.sim.station_ids(provider)[0], 1)
    await account.run(10)
    await account.pass_time(freezer, 15 * 60 + 1)
    issue = account.webhook_issue()
    assert issue is not None
    assert issue.is_fixable
    return issue


def raise_secret_issue(account: Account) -> str:
    """The issue the signature check raises for refused eDRV deliveries, naming the entry."""
    issue_id = f"wrong_webhook_secret_{account.entry.entry_id}"
    ir.async_create_issue(
        account.hass,
        DOMAIN,
        issue_id,
        data={"entry_id": account.entry.entry_id},
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key="wrong_webhook_secret",
        translation_placeholders={"title": account.entry.title},
    )
    return issue_id


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_webhooks_not_arriving_shows_the_url_again(
    hass: HomeAssistant,
    setup_account: SetupAccount,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    """The fix shows the current URL and the provider's steps; then a webhook must prove it."""
    await async_process_ha_core_config(hass, {"external_url": "https://old.example.com"})
    account = await setup_account(provider)
    coordinator = account.entry.runtime_data
    issue = await lose_webhooks(account, freezer)
    assert coordinator.webhooks_confirmed

    # Since the setup, Home Assistant moved to another address: the fix shows the new one.
    await async_process_ha_core_config(hass, {"external_url": "https://new.example.com"})
    result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == f"webhook_{provider}"
    assert result["errors"] is None
    shown = result["description_placeholders"]
    assert shown is not None
    url = f"https://new.example.com{account.webhook_path}"
    assert shown["url"] == url
    assert shown["events" if provider == "edrv" else "sections"] == (
        EDRV_WEBHOOK_EVENTS if provider == "edrv" else THOR_WEBHOOK_SECTIONS
    )

    result = await manager(hass).async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert account.webhook_issue() is None
    assert coordinator.webhook_url == url
    # Push is unproven again: the cloud is read every minute until a webhook arrives.
    assert not coordinator.webhooks_confirmed
    assert coordinator.update_interval == timedelta(minutes=1)

    account.sim.faults.webhook_drop = 0
    await account.switch(SERVICE_TURN_ON, account.connector_id(connector=2))
    await account.run(10)
    assert coordinator.webhooks_confirmed
    assert account.webhook_issue() is None


async def test_webhooks_not_arriving_takes_up_home_assistant_cloud(
    hass: HomeAssistant, setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """Subscribed to Home Assistant Cloud since the setup: the fix shows and keeps a cloudhook."""
    account = await setup_account("edrv")
    issue = await lose_webhooks(account, freezer)
    hass.config.components.add("cloud")
    with (
        patch("homeassistant.components.cloud.async_active_subscription", return_value=True),
        patch(
            "homeassistant.components.cloud.async_get_or_create_cloudhook",
            AsyncMock(return_value=CLOUDHOOK_URL),
        ),
    ):
        result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue.issue_id})
        assert result["description_placeholders"] is not None
        assert result["description_placeholders"]["url"] == CLOUDHOOK_URL
        result = await manager(hass).async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert account.entry.data[CONF_CLOUDHOOK_URL] == CLOUDHOOK_URL
    assert set(account.entry.data) <= config_yaml_fields("data")
    assert account.entry.runtime_data.webhook_url == CLOUDHOOK_URL


async def test_webhook_url_unreachable_is_said(
    hass: HomeAssistant, setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """Without an external URL the fix warns, as the setup does."""
    account = await setup_account("thor")
    issue = await lose_webhooks(account, freezer)
    result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue.issue_id})
    assert result["errors"] == {"base": "webhook_unreachable"}


async def test_fix_needs_the_account_running(
    hass: HomeAssistant, setup_account: SetupAccount, freezer: FrozenDateTimeFactory
) -> None:
    """An unloaded account cannot be fixed from here: the flow says so and keeps the issue."""
    account = await setup_account("edrv")
    issue = await lose_webhooks(account, freezer)
    assert await hass.config_entries.async_unload(account.entry.entry_id)
    result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"
    assert account.webhook_issue() is not None


async def test_wrong_secret_is_entered_again(
    hass: HomeAssistant, setup_account: SetupAccount
) -> None:
    """A secret that does not verify the refused delivery is refused; the right one is kept."""
    # Home Assistant holds another secret than the endpoint's (SECRET, which the cloud signs with).
    account = await setup_account("edrv", secret="an-old-secret")
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(10)
    # Ignored (answered 200, so that eDRV keeps the endpoint), and the issue raised.
    assert account.sim.webhook_counters.get("edrv failed", 0) == 0
    assert account.state("sensor", f"{connector}_session_status") == "waiting_for_vehicle"
    issue_id = f"wrong_webhook_secret_{account.entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None

    result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "secret"
    result = await manager(hass).async_configure(result["flow_id"], {CONF_WEBHOOK_SECRET: "a-typo"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_WEBHOOK_SECRET: "secret_mismatch"}

    result = await manager(hass).async_configure(
        result["flow_id"], {CONF_WEBHOOK_SECRET: f" {SECRET} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert account.entry.options[CONF_WEBHOOK_SECRET] == SECRET
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    # The reloaded account takes the cloud's deliveries again.
    await account.run(120)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    assert account.entry.runtime_data.webhooks_confirmed


async def test_secret_is_taken_without_a_refused_delivery(
    hass: HomeAssistant, setup_account: SetupAccount
) -> None:
    """After a restart no refused delivery is kept to check against: the secret is taken."""
    account = await setup_account("edrv", secret="an-old-secret")
    issue_id = raise_secret_issue(account)
    result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue_id})
    result = await manager(hass).async_configure(result["flow_id"], {CONF_WEBHOOK_SECRET: "new"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert account.entry.options[CONF_WEBHOOK_SECRET] == "new"


async def test_secret_cleared_for_an_endpoint_that_does_not_sign(
    hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator, setup_account: SetupAccount
) -> None:
    """An endpoint without a secret sends no signature: a cleared field accepts it."""
    account = await setup_account("edrv", secret="an-old-secret")
    client = await hass_client_no_auth()
    response = await client.post(account.webhook_path, data=b"{}", headers={})
    assert response.status == 200  # ignored: eDRV keeps the endpoint over a wrong secret
    issue_id = raise_secret_issue(account)
    result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue_id})
    result = await manager(hass).async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert account.entry.options[CONF_WEBHOOK_SECRET] == ""


async def test_secret_is_checked_by_signature_alone(
    hass: HomeAssistant, setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A refused delivery that the new secret signs is enough, even if it is unreadable."""
    account = await setup_account("edrv", secret="an-old-secret")
    body = b"not json"
    signature = edrv_signature(SECRET, body, scheme="v1_t_body", in_ms=False, now=time.time())
    client = await hass_client_no_auth()
    response = await client.post(
        account.webhook_path, data=body, headers={"edrv-signature": signature}
    )
    assert response.status == 200  # ignored: eDRV keeps the endpoint over a wrong secret
    issue_id = raise_secret_issue(account)
    result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue_id})
    result = await manager(hass).async_configure(result["flow_id"], {CONF_WEBHOOK_SECRET: "typo"})
    assert result["errors"] == {CONF_WEBHOOK_SECRET: "secret_mismatch"}
    result = await manager(hass).async_configure(result["flow_id"], {CONF_WEBHOOK_SECRET: SECRET})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_webhooks_refused_for_their_signature_ask_for_the_secret(
    hass: HomeAssistant,
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The webhook issue of deliveries signed with another secret opens the secret form."""
    account = await setup_account("edrv", secret="an-old-secret")
    # What the cloud sends, signed with the endpoint's secret, reaches Home Assistant only here.
    account.sim.faults.webhook_drop = 1000
    body = b'{"_id": "evt-1", "type": "session.updated", "data": {}}'
    signature = edrv_signature(SECRET, body, scheme="v1_body", in_ms=False, now=time.time())
    client = await hass_client_no_auth()
    await client.post(account.webhook_path, data=body, headers={"edrv-signature": signature})
    await account.switch(SERVICE_TURN_ON, account.connector_id())
    await account.run(60)
    # No webhook got through, so the start deadline reads the session and raises the issue.
    await account.pass_time(freezer, 151)
    issue = account.webhook_issue()
    assert issue is not None

    result = await manager(hass).async_init(DOMAIN, context={"issue_id": issue.issue_id})
    assert result["step_id"] == "secret"
    assert result["description_placeholders"] is not None
    assert result["description_placeholders"]["count"] == "1"
    result = await manager(hass).async_configure(result["flow_id"], {CONF_WEBHOOK_SECRET: "typo"})
    assert result["errors"] == {CONF_WEBHOOK_SECRET: "secret_mismatch"}
    result = await manager(hass).async_configure(result["flow_id"], {CONF_WEBHOOK_SECRET: SECRET})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert account.entry.options[CONF_WEBHOOK_SECRET] == SECRET
    assert account.webhook_issue() is None
