"""eDRV webhook signatures, checked with nothing but hmac."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TYPE_CHECKING

import pytest

from simulator.dialects import escape_non_ascii

from .conftest import SECRET

if TYPE_CHECKING:
    from .conftest import MakeSim
    from .helpers import Hit, Receiver


def _hmac(message: bytes) -> str:
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


async def _one_edrv_hit(make_sim: MakeSim, receiver: Receiver, **config: object) -> Hit:
    sim = await make_sim(**config)
    sim.set_online("edrv", sim.station_ids("edrv")[0], False)
    await sim.flush_webhooks()
    (hit,) = receiver.of("edrv")
    return hit


def _escaped(body: bytes) -> bytes:
    """Non-ASCII as lowercase \\uXXXX, astral characters as surrogate pairs."""
    return json.dumps(json.loads(body), ensure_ascii=True, separators=(",", ":")).encode()


@pytest.mark.parametrize(
    ("dialect", "recipe"),
    [
        ("docs", (False, False, True)),
        ("v1-raw-ms", (False, True, False)),
        ("v1-t-body", (True, False, False)),
        ("v1-t-body-escaped", (True, False, True)),
    ],
)
async def test_v1_signatures(
    make_sim: MakeSim, receiver: Receiver, dialect: str, recipe: tuple[bool, bool, bool]
) -> None:
    over_t, in_ms, escaped = recipe
    hit = await _one_edrv_hit(make_sim, receiver, edrv_dialect=dialect)
    assert not hit.body.isascii()  # the station's notes: "Zoë's driveway 🚗"
    parts = dict(item.split("=", 1) for item in hit.headers["edrv-signature"].split(","))
    assert set(parts) == {"t", "v1"}
    stamp = parts["t"]
    sent_at = int(stamp) / 1000 if in_ms else int(stamp)
    assert len(stamp) == (13 if in_ms else 10)
    assert abs(time.time() - sent_at) < 5  # wall time, whatever the simulated clock says
    signed = _escaped(hit.body) if escaped else hit.body
    message = stamp.encode() + b"." + signed if over_t else signed
    assert hmac.compare_digest(parts["v1"], _hmac(message))


async def test_legacy_signature(make_sim: MakeSim, receiver: Receiver) -> None:
    hit = await _one_edrv_hit(make_sim, receiver, edrv_dialect="legacy-escaped")
    assert hit.headers["edrv-signature"] == "sha256=" + _hmac(_escaped(hit.body))


def test_escaping_matches_json() -> None:
    body = json.dumps({"n": "Zoë 🚗 ok"}, ensure_ascii=False, separators=(",", ":")).encode()
    assert escape_non_ascii(body) == _escaped(body)
    assert escape_non_ascii(b'{"a":1}') == b'{"a":1}'


async def test_no_secret_no_signature(make_sim: MakeSim, receiver: Receiver) -> None:
    hit = await _one_edrv_hit(make_sim, receiver, edrv_webhook_secret=None)
    assert "edrv-signature" not in hit.headers
    assert hit.headers["Content-Type"] == "application/json"


async def test_thor_notifications_are_unsigned(make_sim: MakeSim, receiver: Receiver) -> None:
    sim = await make_sim()
    sim.local_start("thor", sim.station_ids("thor")[0], 1, "CARD")
    await sim.flush_webhooks()
    (hit,) = receiver.of("thor")
    assert "edrv-signature" not in hit.headers
