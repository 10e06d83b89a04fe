"""API keys, the signing secret and the webhook id never reach logs, diagnostics or errors."""

from __future__ import annotations

import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_WEBHOOK_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from ..integration.conftest import SECRET, Account, SetupAccount
from .tally import Tally

pytestmark = pytest.mark.reliability


def _secrets(account: Account) -> dict[str, str]:
    sim = account.sim
    return {
        "edrv api key": sim.edrv_api_key,
        "thor api key": sim.thor_api_key,
        "signing secret": SECRET,
        "webhook id": account.entry.data[CONF_WEBHOOK_ID],
    }


def _chain(err: BaseException) -> str:
    """The error's message and every cause's, as a traceback would show them."""
    text: list[str] = []
    current: BaseException | None = err
    while current is not None:
        text += [repr(current), str(current), *map(str, current.args)]
        current = current.__cause__ or current.__context__
    return "\n".join(text)


async def _fails(account: Account, service: str, connector: str, errors: list[str]) -> None:
    try:
        await account.switch(service, connector)
    except HomeAssistantError as err:
        errors.append(_chain(err))
    else:
        errors.append("")


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_no_secret_leaks(
    setup_account: SetupAccount,
    hass_client: ClientSessionGenerator,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
    tally: Tally,
    provider: str,
) -> None:
    """A session's whole life and its failures, logged at DEBUG."""
    caplog.set_level(logging.DEBUG, logger="custom_components.cpms")
    account = await setup_account(provider)
    connector = account.connector_id()
    sim, errors = account.sim, []

    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(120)
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(30)
    for fault in ("fail_next_start", "refuse_requests"):
        setattr(sim.faults, fault, "500 Internal Server Error")
        await _fails(account, SERVICE_TURN_ON, connector, errors)
        setattr(sim.faults, fault, None)
        tally.faults_injected += 1
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    sim.faults.error_rate_5xx = 1.0
    await _fails(account, SERVICE_TURN_OFF, connector, errors)
    sim.faults.error_rate_5xx = 0.0
    client = await hass_client_no_auth()
    for body in (b"{}", b"not json", b'{"type":"meters","chargebox":"nope","connector":1}'):
        await client.post(account.webhook_path, data=body, headers={"edrv-signature": "t=1,v1=0"})
    sim.faults.key_revoked = True
    await _fails(account, SERVICE_TURN_OFF, connector, errors)
    await account.pass_time(freezer, 16 * 60)
    tally.faults_injected += 3
    sim.faults.key_revoked = False
    diagnostics = await get_diagnostics_for_config_entry(account.hass, hass_client, account.entry)

    assert all(errors), "every failure raised"
    logs = "\n".join(
        f"{record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        if record.name.startswith("custom_components.cpms")
    )
    assert "Refused" in logs  # the integration did log, at DEBUG and above
    for name, secret in _secrets(account).items():
        assert secret not in logs, f"{name} in the logs"
        assert secret not in repr(diagnostics), f"{name} in diagnostics"
        assert secret not in "\n".join(errors), f"{name} in an error"


@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_repair_issue_holds_no_webhook_id(
    setup_account: SetupAccount, freezer: FrozenDateTimeFactory, tally: Tally, provider: str
) -> None:
    """The "webhooks do not get through" issue is listed to every admin: no URL in it."""
    account = await setup_account(provider)
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(120)
    account.sim.faults.webhook_drop = 100
    account.sim.unplug(provider, account.sim.station_ids(provider)[0], 1)
    await account.run(10)
    await account.pass_time(freezer, 15 * 60 + 1)
    tally.faults_injected += 1
    issue = account.webhook_issue()
    assert issue is not None
    assert account.entry.data[CONF_WEBHOOK_ID] not in repr(issue)
