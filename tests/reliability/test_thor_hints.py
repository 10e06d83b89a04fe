"""Thor's unsigned notifications are hints: a forgery changes nothing the cloud does not confirm."""

from __future__ import annotations

import json
import time

from homeassistant.const import SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_OFF, STATE_ON
import pytest
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from ..integration.conftest import SECRET, Account, SetupAccount
from .check import compare, sim_sessions
from .forgery import Forger
from .payloads import edrv_signature
from .tally import Tally

pytestmark = pytest.mark.reliability

RUNNING = "thor GET /charges/running"


def _note(account: Account, kind: str, connector: int = 1, **fields: object) -> bytes:
    box = account.sim.station_ids("thor")[0]
    note: dict[str, object] = {"chargebox": box, "connector": connector}
    if kind == "start":
        note |= {"type": "start", "accepted": True, "id": "FORGED", "transaction_id": 9999}
    elif kind == "stop":
        note |= {"type": "stop_transaction", "accepted": True, "idTag": "FORGED",
                 "transaction_id": 9999, "kwh": 5_000_000, "time": 60}  # fmt: skip
    else:
        note |= {"type": "meters", "idTag": "FORGED", "kwh": 5_000_000, "meters": []}
    return json.dumps(note | fields).encode()


async def _charging(account: Account) -> tuple[str, int]:
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(120)
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    transaction = sim_sessions(account)[-1].transaction_id
    assert transaction is not None
    return connector, transaction


async def test_forged_start_on_an_idle_connector(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator, tally: Tally
) -> None:
    """A start nobody made: one read of the running charges, and the switch stays off."""
    account = await setup_account("thor")
    forger = Forger(account, await hass_client_no_auth(), tally)
    connector = account.connector_id()
    account.sim.reset_counters()
    for transaction in range(30):
        _status, changed = await forger.post(
            _note(account, "start", transaction_id=transaction + 1)
        )
        await account.run(1)
        assert not changed
    assert account.state("switch", f"{connector}_charging") == STATE_OFF
    assert forger.events.started == []
    # The reads are bounded: a flood of hints costs a few calls, not one each.
    assert account.sim.counters.get(RUNNING, 0) <= 3, account.sim.counters


async def test_forged_meter_values_on_an_idle_connector(
    setup_account: SetupAccount, hass_client_no_auth: ClientSessionGenerator, tally: Tally
) -> None:
    account = await setup_account("thor")
    forger = Forger(account, await hass_client_no_auth(), tally)
    _status, changed = await forger.post(_note(account, "meters"))
    await account.run(1)
    assert not changed
    assert account.state("switch", f"{account.connector_id()}_charging") == STATE_OFF


@pytest.mark.parametrize(
    "forgery",
    [
        {"kind": "stop"},
        {"kind": "stop", "transaction": "real"},
        {"kind": "stop", "transaction": "real", "idTag": "real"},
        {"kind": "meters", "kwh": 5_000_000},
        {"kind": "meters", "kwh": -5000},
        {"kind": "meters", "kwh": 1e305},
        {"kind": "meters", "kwh": "real+1000000", "idTag": "real"},
        {"kind": "start", "transaction": "other", "id": "HIJACK"},
    ],
    ids=lambda forgery: "-".join(f"{k}={v}" for k, v in forgery.items()),
)
async def test_forgeries_during_a_real_charge(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    tally: Tally,
    forgery: dict[str, object],
) -> None:
    """The charge goes on as the cloud says: no end, no inflated energy, its own stop refs."""
    account = await setup_account("thor")
    forger = Forger(account, await hass_client_no_auth(), tally)
    connector, transaction = await _charging(account)
    session = sim_sessions(account)[-1]
    fields = {k: v for k, v in forgery.items() if k not in {"kind", "transaction"}}
    if forgery.get("transaction") == "real":
        fields["transaction_id"] = transaction
    if fields.get("idTag") == "real":
        fields["idTag"] = session.id_tag
    if fields.get("kwh") == "real+1000000":
        fields["kwh"] = account.sim.world.energy_wh(session) + 1_000_000
    if forgery.get("transaction") == "other":
        fields["transaction_id"] = transaction + 1
    before = float(account.state("sensor", f"{connector}_session_energy"))
    await forger.post(_note(account, str(forgery["kind"]), **fields))
    await account.run(1)
    assert account.state("switch", f"{connector}_charging") == STATE_ON
    assert account.state("sensor", f"{connector}_session_status") == "charging"
    assert float(account.state("sensor", f"{connector}_session_energy")) <= before + 1
    assert forger.events.ended == []
    # The user's stop still works, with the real charge's references.
    await account.switch(SERVICE_TURN_OFF, connector)
    await account.run(30)
    assert not session.active
    assert account.state("sensor", f"{connector}_session_status") == "ended"
    problems = compare(account, forger.events, tally)
    assert not problems, problems


@pytest.mark.parametrize("energy", [-5000, 1e305, 5_000_000])
async def test_edrv_energy_out_of_bounds(
    setup_account: SetupAccount,
    hass_client_no_auth: ClientSessionGenerator,
    tally: Tally,
    energy: float,
) -> None:
    """A signed update with energy no connector can deliver is not taken."""
    account = await setup_account("edrv")
    forger = Forger(account, await hass_client_no_auth(), tally)
    connector = account.connector_id()
    await account.switch(SERVICE_TURN_ON, connector)
    await account.run(120)
    state = account.entry.runtime_data.data.connectors[connector].session
    assert state is not None
    before = float(account.state("sensor", f"{connector}_session_energy"))
    body = json.dumps(
        {
            "_id": f"evt-{time.time_ns()}",
            "type": "session.updated",
            "object": "session",
            "data": {
                "_id": state.ref.edrv_session_id,
                "chargestation": state.station_id,
                "connector": connector,
                "status": "Started",
                "metrics": {"energyConsumed": energy},
            },
        }
    ).encode()
    # Signed as the simulated cloud signs, over the body alone.
    headers = {"edrv-signature": edrv_signature(SECRET, body, time.time(), with_t=False)}
    _status, changed = await forger.post(body, headers)
    assert not changed
    assert float(account.state("sensor", f"{connector}_session_energy")) <= before + 1
    await account.run(60)
    problems = compare(account, forger.events, tally)
    assert not problems, problems
