"""Mutated deliveries: the decoders return events or raise a WebhookError, nothing else.

hypothesis is not installed, so a seeded random mutation loop stands in for it.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import random
from typing import Any

from custom_components.cpms.api import (
    EdrvWebhookDecoder,
    Event,
    ThorWebhookDecoder,
    WebhookError,
)

from .samples import (
    THOR_BOX,
    dumps,
    edrv_action,
    edrv_session,
    edrv_station,
    edrv_webhook,
    thor_meters,
    thor_start_raw,
    thor_stop,
    thor_stop_rejected,
)

ROUNDS = 3000
SECRET = "fuzz-secret"
NOW = 1_795_000_000.0

ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    1.5,
    float("nan"),
    10**400,
    "",
    "x",
    "NaN",
    "1e999",
    "ë🚗",
    [],
    [None],
    {},
    {"_id": 1},
    "session.started",
    "start",
]

EDRV_SEEDS: list[dict[str, Any]] = (
    [
        edrv_webhook(kind, edrv_session())
        for kind in ("session.started", "session.updated", "session.stop_failure")
    ]
    + [
        edrv_webhook(kind, edrv_station(), object_name="chargestation")
        for kind in (
            "chargestation.online",
            "chargestation.offline",
            "chargestation.connector_status.updated",
        )
    ]
    + [edrv_webhook("chargestation.set_power_limit.rejected", edrv_action(), object_name="action")]
)

THOR_SEEDS: list[dict[str, Any]] = [
    json.loads(thor_start_raw()),
    thor_stop(),
    thor_stop_rejected(),
    thor_meters(
        [
            {"measurand": "Energy.Active.Import.Register", "uom": "kWh", "value": 2.5},
            {"measurand": "Power.Active.Import", "uom": "W", "value": 7400, "phase": "L1"},
            {"measurand": "Current.Import", "uom": "A", "value": 16},
            {"measurand": "SoC", "uom": "Percent", "Value": "50"},
        ]
    ),
]


def seeded(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 - reproducible runs, nothing secret


def mutate_tree(rng: random.Random, node: Any) -> Any:
    """Replace, drop or retype one value somewhere in a JSON tree."""
    if isinstance(node, dict) and node and rng.random() < 0.8:
        key = rng.choice(list(node))
        action = rng.random()
        if action < 0.2:
            del node[key]
        elif action < 0.5:
            node[key] = rng.choice(ODD_VALUES)
        else:
            node[key] = mutate_tree(rng, node[key])
        return node
    if isinstance(node, list) and node and rng.random() < 0.8:
        index = rng.randrange(len(node))
        node[index] = mutate_tree(rng, node[index])
        return node
    return copy.deepcopy(rng.choice(ODD_VALUES))


def mutate_bytes(rng: random.Random, body: bytes) -> bytes:
    """Flip, cut or splice raw bytes."""
    data = bytearray(body)
    for _ in range(rng.randint(1, 4)):
        if not data:
            break
        position = rng.randrange(len(data))
        action = rng.random()
        if action < 0.4:
            data[position] = rng.randrange(256)
        elif action < 0.6:
            del data[position:]
        else:
            data[position:position] = rng.choice(
                [b"\xff", b"\\u", b'"', b"}", b"[", b"\x00", b"\xc3"]
            )
    return bytes(data)


def mutations(rng: random.Random, seeds: list[dict[str, Any]]) -> bytes:
    seed = copy.deepcopy(rng.choice(seeds))
    if rng.random() < 0.5:
        for _ in range(rng.randint(1, 3)):
            seed = mutate_tree(rng, seed)
        return dumps(seed, ascii_only=rng.random() < 0.5)
    return mutate_bytes(rng, dumps(seed))


def assert_only_webhook_errors(decode: Any, body: bytes, headers: dict[str, str]) -> None:
    try:
        events = decode(body, headers)
    except WebhookError:
        return
    assert isinstance(events, list)
    assert all(isinstance(event, Event) for event in events)


def test_edrv_decoder_under_mutation() -> None:
    rng = seeded(20261121)
    plain = EdrvWebhookDecoder(None)
    signed = EdrvWebhookDecoder(SECRET, clock=lambda: NOW)
    for _ in range(ROUNDS):
        body = mutations(rng, EDRV_SEEDS)
        assert_only_webhook_errors(plain.decode, body, {})
        # Correctly signed garbage must get past the signature and still fail cleanly.
        signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert_only_webhook_errors(
            signed.decode, body, {"edrv-signature": f"t={int(NOW)},v1={signature}"}
        )


def test_edrv_signature_header_under_mutation() -> None:
    rng = seeded(7)
    signed = EdrvWebhookDecoder(SECRET, clock=lambda: NOW)
    body = dumps(EDRV_SEEDS[0])
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    header = f"t={int(NOW)},v1={signature}".encode()
    for _ in range(ROUNDS):
        mutated = mutate_bytes(rng, header).decode("utf-8", errors="replace")
        assert_only_webhook_errors(signed.decode, body, {"edrv-signature": mutated})


def test_thor_decoder_under_mutation() -> None:
    rng = seeded(42)
    thor = ThorWebhookDecoder(lambda: {THOR_BOX, "x", ""})
    for _ in range(ROUNDS):
        assert_only_webhook_errors(thor.decode, mutations(rng, THOR_SEEDS), {})


def test_random_bytes() -> None:
    rng = seeded(1)
    plain = EdrvWebhookDecoder(None)
    thor = ThorWebhookDecoder(lambda: {THOR_BOX})
    for _ in range(ROUNDS):
        body = rng.randbytes(rng.randint(0, 64))
        assert_only_webhook_errors(plain.decode, body, {})
        assert_only_webhook_errors(thor.decode, body, {})
