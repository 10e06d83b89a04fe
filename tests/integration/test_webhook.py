"""Deliveries to Home Assistant's real webhook endpoint: verified, or refused with no effect."""

from __future__ import annotations

from collections.abc import Callable
import hashlib
import hmac
import json
import time

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.cpms.const import DOMAIN, EVENT_SESSION_ENDED

from .conftest import SECRET, Account, SetupAccount


def _edrv_session_started(account: Account, name: str = "Zoë") -> bytes:
    """A session.started delivery for the first connector, shaped like eDRV's."""
    station = account.sim.station_ids("edrv")[0]
    return json.dumps(
        {
            "_id": f"evt-{time.time_ns()}",
            "type": "session.started",
            "object": "session",
            "createdAt": "2026-11-22T10:00:00.000Z",
            "data": {
                "_id": "6560000000000000000000aa",
                "user": name,
                "chargestation": station,
                "connector": account.connector_id(),
                "status": "Started",
                "metrics": {"energyConsumed": "1200", "chargingStart": "2026-11-22T10:00:00Z"},
            },
        },
        ensure_ascii=False,
    ).encode()


def _sign(body: bytes, *, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    stamp = str(int(at if at is not None else time.time()))
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"edrv-signature": f"t={stamp},v1={digest}"}


async def _post(
    account: Account, client_factory: ClientSessionGenerator, body: bytes, headers: dict[str, str]
) -> int:
    client = await client_factory()
    response = await client.post(account.webhook_path, data=body, headers=headers)
    await account.hass.async_block_till_done()
    assert await response.text() == ""
    return response.status


FORGERIES: dict[str, Callable[[bytes], dict[str, str]]] = {
    "unsigned": lambda body: {},
    "garbage": lambda body: {"edrv-signature": "t=1,v1=00"},
    "other-body": lambda body: _sign(b"another body"),
    "other-secret": lambda body: _sign(body, secret="wrong"),
}


def _signature_issue(account: Account) -> ir.IssueEntry | None:
    return ir.async_get(account.hass).async_get_issue(
        DOMAIN, f"wrong_webhook_secret_{account.entry.entry_id}"
    )


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_edrv_forged_delivery_changes_nothing(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator, forgery: str
) -> None:
    """A delivery that fails the signature check is applied to nothing, and a repair issue
    says the signing secret is wrong. It is answered 200: eDRV disables endpoints that keep
    answering errors, which a wrong secret in Home Assistant would otherwise bring about."""
    account = await setup_account("edrv")
    connector = account.connector_id()
    body = _edrv_session_started(account)
    assert await _post(account, hass_client_no_auth, body, FORGERIES[forgery](body)) == 200
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert account.state("sensor", f"{account.entry.entry_id}_last_webhook") == STATE_UNKNOWN
    issue = _signature_issue(account)
    assert issue is not None
    assert issue.translation_key == "wrong_webhook_secret"
    assert issue.is_fixable  # its fix asks for the secret
    assert issue.severity is ir.IssueSeverity.ERROR
    # A correctly signed delivery proves the secret right again.
    assert await _post(account, hass_client_no_auth, body, _sign(body)) == 200
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert _signature_issue(account) is None


async def test_edrv_replayed_delivery_is_refused(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A correctly signed delivery older than five minutes is a replay."""
    account = await setup_account("edrv")
    body = _edrv_session_started(account)
    old = _sign(body, at=time.time() - 301)
    assert await _post(account, hass_client_no_auth, body, old) == 200
    assert account.state("switch", f"{account.connector_id()}_charging") == STATE_OFF
    assert _signature_issue(account) is not None


async def test_edrv_signed_unicode_delivery_is_applied(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The signature covers the raw UTF-8 bytes, names with ë and emoji included."""
    account = await setup_account("edrv")
    body = _edrv_session_started(account, name="Zoë 🚗")
    assert await _post(account, hass_client_no_auth, body, _sign(body)) == 200
    connector = account.connector_id()
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    last = account.state("sensor", f"{account.entry.entry_id}_last_webhook")
    assert last not in (STATE_UNKNOWN, None)


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"type": "session.started", "data": 7}', b"\xff\xfe"]
)
async def test_malformed_delivery_is_refused(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator, body: bytes
) -> None:
    """Bodies that are not a delivery get a 400, signed or not."""
    account = await setup_account("edrv")
    assert await _post(account, hass_client_no_auth, body, _sign(body)) == 400
    assert account.entry.runtime_data.data.last_webhook is None


async def test_thor_unknown_chargebox_is_refused(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """Thor signs nothing: a notification about a chargebox not on the account is refused."""
    account = await setup_account("thor")
    body = json.dumps(
        {
            "type": "start",
            "accepted": True,
            "chargebox": "not-ours",
            "id": "tag",
            "connector": 1,
            "transaction_id": 7,
            "mode": "api",
        }
    ).encode()
    assert await _post(account, hass_client_no_auth, body, {}) == 403
    assert account.entry.runtime_data.data.last_webhook is None


async def test_only_post_is_accepted(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The webhook takes POST only."""
    account = await setup_account("thor")
    client = await hass_client_no_auth()
    response = await client.get(account.webhook_path)
    assert response.status == 405


async def test_unsigned_edrv_accepted_without_secret(setup_account: SetupAccount) -> None:
    """Without a secret in the options, eDRV deliveries are taken as they come."""
    account = await setup_account("edrv", secret=None)
    account.sim.local_start("edrv", account.sim.station_ids("edrv")[0], 1, "CARD")
    await account.run(60)
    assert account.state("switch", f"{account.connector_id()}_charging") == STATE_ON


@pytest.mark.parametrize("provider", ["edrv", "thor"])
@pytest.mark.parametrize("fault", ["webhook_duplicate", "webhook_reorder"])
async def test_duplicated_or_reordered_deliveries(
    setup_account: SetupAccount, provider: str, fault: str
) -> None:
    """Deliveries twice or out of order: one end event, energy never going down."""
    account = await setup_account(provider)
    setattr(account.sim.faults, fault, True)
    connector = account.connector_id()
    ended = async_capture_events(account.hass, EVENT_SESSION_ENDED)
    account.sim.local_start(provider, account.sim.station_ids(provider)[0], 1, "CARD")
    seen: list[float] = []
    for _ in range(6):
        await account.run(45)
        seen.append(float(account.state("sensor", f"{connector}_session_energy")))
    assert seen == sorted(seen)
    assert seen[-1] > 0
    await account.hass.services.async_call(
        "switch",
        "turn_off",
        {"entity_id": account.entity_id("switch", f"{connector}_charging")},
        blocking=True,
    )
    await account.run(30)
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    assert len(ended) == 1
