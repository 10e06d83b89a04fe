"""eDRV webhook signatures, checked with nothing but hmac."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING

import pytest

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


@pytest.mark.parametrize("in_ms", [False, True])
@pytest.mark.parametrize("scheme", ["v1_body", "v1_t_body"])
async def test_v1_signatures(
    make_sim: MakeSim, receiver: Receiver, scheme: str, in_ms: bool
) -> None:
    hit = await _one_edrv_hit(make_sim, receiver, edrv_signature=scheme, edrv_signature_ms=in_ms)
    parts = dict(item.split("=", 1) for item in hit.headers["edrv-signature"].split(","))
    assert set(parts) == {"t", "v1"}
    stamp = parts["t"]
    sent_at = int(stamp) / 1000 if in_ms else int(stamp)
    assert len(stamp) == (13 if in_ms else 10)
    assert abs(time.time() - sent_at) < 5  # wall time, whatever the simulated clock says
    message = hit.body if scheme == "v1_body" else stamp.encode() + b"." + hit.body
    assert hmac.compare_digest(parts["v1"], _hmac(message))


async def test_legacy_signature(make_sim: MakeSim, receiver: Receiver) -> None:
    hit = await _one_edrv_hit(make_sim, receiver, edrv_signature="legacy")
    assert hit.headers["edrv-signature"] == "sha256=" + _hmac(hit.body)


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
