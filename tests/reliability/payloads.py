"""Hypothesis strategies for webhook bodies: the providers' shapes with any part gone wrong."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from hypothesis import strategies as st

from ..api.samples import (
    THOR_BOX,
    edrv_action,
    edrv_session,
    edrv_station,
    edrv_webhook,
    thor_meters,
    thor_start_raw,
    thor_stop,
    thor_stop_rejected,
)

_MISSING = object()

# Values that have broken parsers before: NaN and infinities (json writes them as tokens),
# numbers past any float, numbers as strings, the providers' own words in the wrong place.
SCALARS: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400) | st.integers(max_value=-(10**300)),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(
        [
            "NaN", "Infinity", "-1e999", "1e308", "-5", "0", "", " ", "Started", "started",
            "Ended", "session.started", "session.ended", "start", "stop_transaction", "meters",
            "api", "rfid", "stop", "kWh", "Wh", "W", "kW", THOR_BOX,
        ]
    ),
)  # fmt: skip
JSON: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8) | st.sampled_from(["_id", "type", "data"]), inner)
    ),
    max_leaves=12,
)


def mutated(node: Any) -> st.SearchStrategy[Any]:
    """The node, with any value kept, replaced by arbitrary JSON, or dropped."""
    if isinstance(node, dict):
        return st.fixed_dictionaries(
            {
                key: st.one_of(mutated(value), mutated(value), JSON, st.just(_MISSING))
                for key, value in node.items()
            }
        ).map(lambda tree: {k: v for k, v in tree.items() if v is not _MISSING})
    if isinstance(node, list):
        return st.tuples(*(st.one_of(mutated(item), JSON) for item in node)).map(list)
    return st.one_of(st.just(node), st.just(node), SCALARS)


def _serialized(trees: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda tree, ascii_only: json.dumps(tree, ensure_ascii=ascii_only).encode(),
        trees,
        st.booleans(),
    )


def _bytes_around(bodies: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    """Cut or spliced serialized bodies, and raw bytes."""
    return st.one_of(
        st.builds(lambda body, cut: body[:cut], bodies, st.integers(min_value=0, max_value=400)),
        st.builds(
            lambda body, at, junk: body[:at] + junk + body[at:],
            bodies,
            st.integers(min_value=0, max_value=400),
            st.sampled_from(
                [b"\xff", b"\\u", b'"', b"}", b"[", b"\x00", b"\xc3", b"NaN", b"1e99999"]
            ),
        ),
        st.binary(max_size=128),
        st.builds(lambda depth: b"[" * depth + b"]" * depth, st.integers(1, 100_000)),
    )


def edrv_seeds(station: str | None = None, connector: str | None = None) -> list[dict[str, Any]]:
    """Deliveries of every type the decoder reads, about `station` and `connector` if given."""
    ids: dict[str, Any] = {}
    if station:
        ids["chargestation"] = station
    if connector:
        ids["connector"] = connector
    station_ids = {"_id": station} if station else {}
    return [
        *(edrv_webhook(kind, edrv_session(**ids)) for kind in (
            "session.created", "session.started", "session.updated", "session.ended",
            "session.cancelled", "session.start_failure", "session.stop_failure",
        )),
        *(edrv_webhook(kind, edrv_station(**station_ids), object_name="chargestation") for kind in (
            "chargestation.online", "chargestation.offline",
            "chargestation.connector_status.updated",
        )),
        edrv_webhook(
            "chargestation.set_power_limit.rejected", edrv_action(**ids), object_name="action"
        ),
    ]  # fmt: skip


def thor_seeds(box: str = THOR_BOX) -> list[dict[str, Any]]:
    """Notifications of every kind the decoder reads, about chargebox `box`."""
    meters = [
        {"measurand": "Energy.Active.Import.Register", "uom": "kWh", "value": 2.5},
        {"measurand": "Power.Active.Import", "uom": "W", "value": 7400, "phase": "L1"},
        {"measurand": "Current.Import", "uom": "A", "value": 16},
        {"measurand": "SoC", "uom": "Percent", "Value": "50"},
    ]
    return [
        {**json.loads(thor_start_raw()), "chargebox": box},
        thor_stop(chargebox=box),
        thor_stop_rejected(chargebox=box),
        thor_meters(meters, chargebox=box),
    ]


def bodies(seeds: list[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """Mostly well-formed JSON of the seeds' shapes, some of it broken at the byte level."""
    shaped = _serialized(st.one_of(*(mutated(seed) for seed in seeds)))
    return st.one_of(shaped, shaped, shaped, _bytes_around(shaped), _serialized(JSON))


def edrv_signature(secret: str, body: bytes, at: float, *, with_t: bool = True) -> str:
    """An eDRV signature header over `t.body` (or the body alone), at epoch seconds `at`."""
    stamp = str(int(at))
    message = stamp.encode() + b"." + body if with_t else body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"
