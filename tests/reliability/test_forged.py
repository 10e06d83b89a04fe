"""Forged, replayed and malformed deliveries: a 4xx or no effect, never a change of state."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from homeassistant.const import SERVICE_TURN_ON
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from ..integration.conftest import SECRET, Account, SetupAccount
from .forgery import Forger, Tap
from .payloads import edrv_signature
from .restart import start_home_assistant, stop_home_assistant
from .tally import Tally

pytestmark = pytest.mark.reliability

MAX_BODY = 64 * 1024


async def _charging(account: Account) -> str:
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(60)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    return connector


def _edrv_delivery(account: Account, kind: str, **data: Any) -> bytes:
    """A delivery about the first connector's current session, shaped like eDRV's."""
    session = account.entry.runtime_data.data.connectors[account.connector_id()]
    assert session.session is not None
    payload = {
        "_id": f"evt-forged-{time.time_ns()}",
        "type": kind,
        "object": "session",
        "createdAt": "2026-11-22T10:00:00.000Z",
        "data": {
            "_id": session.session.ref.edrv_session_id,
            "chargestation": account.sim.station_ids("edrv")[0],
            "connector": account.connector_id(),
            "status": "Ended" if kind == "session.ended" else "Started",
            "metrics": {"energyConsumed": 5_000_000},
        }
        | data,
    }
    return json.dumps(payload).encode()


SIGNATURES = {
    "missing": lambda body: {},
    "garbage": lambda body: {"edrv-signature": "t=1,v1=zz"},
    "wrong": lambda body: {"edrv-signature": edrv_signature(SECRET, b"other", time.time())},
    "other secret": lambda body: {"edrv-signature": edrv_signature("other", body, time.time())},
    "outside the window": lambda body: {
        "edrv-signature": edrv_signature(SECRET, body, time.time() - 301)
    },
    "from the future": lambda body: {
        "edrv-signature": edrv_signature(SECRET, body, time.time() + 301)
    },
    "legacy, other secret": lambda body: {"edrv-signature": "sha256=" + "0" * 64},
}


@pytest.mark.parametrize("forgery", SIGNATURES)
async def test_edrv_bad_signature(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    tally: Tally,
    forgery: str,
) -> None:
    """A forged end of a running session: ignored (a 200, so that eDRV never disables the
    endpoint over a wrong secret), and the session charges on."""
    account = await setup_account("edrv")
    forger = Forger(account, await hass_client_no_auth(), tally)
    connector = await _charging(account)
    body = _edrv_delivery(account, "session.ended")
    status, changed = await forger.post(body, SIGNATURES[forgery](body))
    assert (status, changed) == (200, False)
    assert account.state("sensor", f"{connector}_session_status") == "charging"


async def test_edrv_replay_inside_the_window(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator, tally: Tally
) -> None:
    """Every delivery of a session, sent again at once: applied once, nothing changes."""
    account = await setup_account("edrv")
    forger = Forger(account, await hass_client_no_auth(), tally)
    tap = Tap(account)
    await _charging(account)
    await account.run(120)
    for body in tap.bodies:
        header = edrv_signature(SECRET, body, time.time(), with_t=False)
        status, changed = await forger.post(body, {"edrv-signature": header})
        assert not changed, body
        assert status < 500


# What, the body ("BOX" stands for the account's chargebox), and the answers of eDRV and Thor.
# Thor ignores, with a 200, what is not one of its notifications.
MALFORMED = [
    ("not JSON", b"{not json", 400, 400),
    ("not UTF-8", b"\xff\xfe{}", 400, 400),
    ("an array", b"[]", 400, 400),
    ("data of the wrong type", b'{"_id":"e","type":"session.started","data":7}', 400, 200),
    (
        "a connector of the wrong type",
        b'{"type":"meters","chargebox":"BOX","connector":[1]}',
        200,
        400,
    ),
    ("deep nesting", b'{"_id":"e","type":"session.started","data":' + b"[" * 50_000, 400, 400),
    ("NaN", b'{"_id":"e","type":"session.started","data":NaN}', 400, 200),
    ("Infinity", b'{"type":"start","chargebox":"BOX","connector":Infinity,"id":"T"}', 200, 400),
    ("a number past any float", b'{"_id":1' + b"0" * 5000 + b',"type":"x"}', 400, 400),
    ("over 64 KiB", b'{"pad":"' + b"x" * MAX_BODY + b'"}', 413, 413),
]


@pytest.mark.parametrize(("what", "body", "edrv", "thor"), MALFORMED, ids=[m[0] for m in MALFORMED])
@pytest.mark.parametrize("provider", ["edrv", "thor"])
async def test_malformed(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    tally: Tally,
    provider: str,
    what: str,
    body: bytes,
    edrv: int,
    thor: int,
) -> None:
    """Correctly signed bodies that are no delivery: refused or ignored, nothing changes."""
    account = await setup_account(provider)
    forger = Forger(account, await hass_client_no_auth(), tally)
    await _charging(account)
    body = body.replace(b"BOX", account.sim.station_ids(provider)[0].encode())
    expected = edrv if provider == "edrv" else thor
    headers = {"edrv-signature": edrv_signature(SECRET, body, time.time())}
    status, changed = await forger.post(body, headers)
    assert (status, changed) == (expected, False), what


@pytest.mark.parametrize("size", [10 * 1024 * 1024, 17 * 1024 * 1024])
async def test_oversized_body_is_refused_unread(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    tally: Tally,
    size: int,
) -> None:
    """10 MB of meter values, or more than Home Assistant takes at all: a 413, no traceback."""
    account = await setup_account("thor")
    forger = Forger(account, await hass_client_no_auth(), tally)
    box = account.sim.station_ids("thor")[0]
    head = json.dumps({"type": "meters", "chargebox": box, "connector": 1, "meters": []})
    body = head[:-2].encode() + b", " + b"{}, " * (size // 4) + b"{}]}"
    status, changed = await forger.post(body)
    assert (status, changed) == (413, False)


async def test_thor_unknown_chargebox(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator, tally: Tally
) -> None:
    account = await setup_account("thor")
    forger = Forger(account, await hass_client_no_auth(), tally)
    body = json.dumps(
        {"type": "start", "accepted": True, "chargebox": "not-ours", "id": "T", "connector": 1,
         "transaction_id": 7, "mode": "api"}
    ).encode()  # fmt: skip
    status, changed = await forger.post(body)
    assert (status, changed) == (403, False)


async def test_edrv_weaker_signatures_refused_once_timestamped(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator, tally: Tally
) -> None:
    """After a delivery signed over its timestamp, re-stamped body-only ones are replays."""
    account = await setup_account("edrv")
    forger = Forger(account, await hass_client_no_auth(), tally)
    station = account.sim.station_ids("edrv")[0]

    def offline(event_id: str) -> bytes:
        return json.dumps(
            {"_id": event_id, "type": "chargestation.offline", "data": {"_id": station}}
        ).encode()

    def signed(body: bytes, *, with_t: bool) -> dict[str, str]:
        return {"edrv-signature": edrv_signature(SECRET, body, time.time(), with_t=with_t)}

    ping = b'{"_id":"ping-1","type":"ping"}'
    assert await forger.post(ping, signed(ping, with_t=True)) == (200, False)
    for attempt in range(2):
        body = offline(f"offline-{attempt}")
        legacy = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        for headers in (signed(body, with_t=False), {"edrv-signature": legacy}):
            assert await forger.post(body, headers) == (200, False)  # ignored, not applied
        # The refusal holds across a restart.
        await stop_home_assistant(account)
        await start_home_assistant(account)
        forger = Forger(account, await hass_client_no_auth(), tally)
    body = offline("offline-signed")
    assert await forger.post(body, signed(body, with_t=True), genuine=True) == (200, True)
