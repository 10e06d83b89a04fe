"""What the user is told about webhooks: when the last came, how many were refused and why.

The repair issue's fix says which: nothing arrived (the provider's steps), or deliveries
arrived and were refused, how many in a row and for what.
"""

from __future__ import annotations

import json

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.const import SERVICE_TURN_ON, STATE_UNKNOWN
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from .conftest import Account, SetupAccount

PROVIDERS = ["edrv", "thor"]


async def _start_unconfirmed(account: Account, freezer: FrozenDateTimeFactory) -> None:
    """Start a session whose webhooks never get through; the deadline read raises the issue."""
    await account.switch(SERVICE_TURN_ON, account.connector_id())
    await account.run(60)
    await account.pass_time(freezer, 151)


async def _fix(account: Account) -> tuple[str, dict[str, str]]:
    """Open the repair issue's fix, as the user would: the step it shows, and its text's values.

    The flow is left open, as a user reading it would; the issue stays.
    """
    issue = account.webhook_issue()
    assert issue is not None
    flows = repairs_flow_manager(account.hass)
    assert flows is not None
    result = await flows.async_init("cpms", context={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.FORM
    placeholders = result["description_placeholders"]
    assert placeholders is not None
    flows.async_abort(result["flow_id"])
    return str(result["step_id"]), dict(placeholders)


async def _post(account: Account, client_factory: ClientSessionGenerator, body: bytes) -> int:
    client = await client_factory()
    response = await client.post(account.webhook_path, data=body)
    await account.hass.async_block_till_done()
    return response.status


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_nothing_arrived(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, provider: str
) -> None:
    """No delivery at all: the fix says so, with the URL and this provider's steps only."""
    account = await setup_account(provider)
    account.sim.faults.webhook_drop = 1000
    await _start_unconfirmed(account, freezer)
    step, placeholders = await _fix(account)
    assert step == f"webhook_{provider}"
    assert placeholders["title"] == account.entry.title
    assert placeholders["url"] == account.entry.runtime_data.webhook_url


async def test_refused_for_their_signature(
    setup_account: SetupAccount,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Deliveries signed with another secret: the fix counts them and says why."""
    account = await setup_account("edrv")
    account.sim.faults.webhook_drop = 1000
    body = json.dumps({"_id": "evt-1", "type": "session.updated", "data": {}}).encode()
    signed_otherwise = {"edrv-signature": "t=1700000000,v1=" + "0" * 64}
    for _ in range(2):
        client = await hass_client_no_auth()
        response = await client.post(account.webhook_path, data=body, headers=signed_otherwise)
        assert response.status == 200  # ignored, so that eDRV keeps the endpoint
    await _start_unconfirmed(account, freezer)
    step, placeholders = await _fix(account)
    # The fix is the form for the right secret.
    assert step == "secret"
    assert placeholders["count"] == "2"

    diagnostics = await get_diagnostics_for_config_entry(account.hass, hass_client, account.entry)
    assert diagnostics["deliveries"] == {
        "accepted": 0,
        "refused": {"signature": 2},
        "refused_since_last_accepted": 2,
    }
    assert diagnostics["last_webhook"] is None


async def test_issue_says_why_once_they_are_refused(
    setup_account: SetupAccount,
    freezer: FrozenDateTimeFactory,
    hass_client_no_auth: ClientSessionGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Raised while nothing arrived, the fix tells of refused deliveries once they come."""
    account = await setup_account("thor")
    account.sim.faults.webhook_drop = 1000
    await _start_unconfirmed(account, freezer)
    assert (await _fix(account))[0] == "webhook_thor"

    # Another account's notifications, delivered here, and one that is not JSON.
    other = json.dumps({"type": "start", "accepted": True, "chargebox": "not-ours"}).encode()
    assert await _post(account, hass_client_no_auth, other) == 403
    step, placeholders = await _fix(account)
    assert (step, placeholders["count"]) == ("refused_unknown_station", "1")
    assert await _post(account, hass_client_no_auth, b"{not json") == 400
    step, placeholders = await _fix(account)
    assert (step, placeholders["count"]) == ("refused_malformed", "2")

    diagnostics = await get_diagnostics_for_config_entry(account.hass, hass_client, account.entry)
    deliveries = diagnostics["deliveries"]
    assert deliveries["refused"] == {"unknown_station": 1, "malformed": 1}
    assert deliveries["refused_since_last_accepted"] == 2
    assert deliveries["accepted"] == 0

    # Deliveries get through again: the issue goes, the count of refused in a row with it.
    account.sim.faults.webhook_drop = 0
    await account.run(60)
    assert account.webhook_issue() is None
    diagnostics = await get_diagnostics_for_config_entry(account.hass, hass_client, account.entry)
    assert diagnostics["deliveries"]["refused_since_last_accepted"] == 0
    assert diagnostics["deliveries"]["accepted"] > 0


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_last_webhook_survives_a_reload(setup_account: SetupAccount, provider: str) -> None:
    """ "Last webhook" shows the last delivery after a reload, not Unknown."""
    account = await setup_account(provider)
    await account.switch(SERVICE_TURN_ON, account.connector_id())
    await account.run(60)
    last_webhook = f"{account.entry.entry_id}_last_webhook"
    shown = account.state("sensor", last_webhook)
    assert shown != STATE_UNKNOWN

    hass = account.hass
    assert await hass.config_entries.async_reload(account.entry.entry_id)
    await hass.async_block_till_done()
    assert account.state("sensor", last_webhook) == shown
