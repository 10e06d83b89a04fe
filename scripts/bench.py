"""Benchmarks of the webhook path, as ratios against a baseline measured in the same run.

Each line times one step per delivery (median of several rounds) and divides it by the time
json.loads takes on the same bytes, the least any receiver must spend. Ratios, not seconds,
so that runs on different machines compare.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
import statistics
import sys
import time
import timeit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.cpms.api import EdrvWebhookDecoder, ThorWebhookDecoder

SECRET = "bench-secret"  # noqa: S105
STATION = "5fca57b3fbfcc320b3b03f20"
THOR_BOX = "EaJ7cU9NJ3YkTNgy"
ROUNDS = 7


def _edrv_delivery() -> tuple[bytes, dict[str, str]]:
    """A session.updated delivery shaped like eDRV's, signed over t.body."""
    body = json.dumps(
        {
            "_id": "6560aa000000000000000001",
            "type": "session.updated",
            "object": "session",
            "createdAt": "2026-11-22T10:00:00.000Z",
            "data": {
                "_id": "6560aa000000000000000002",
                "user": "6560aa000000000000000003",
                "chargestation": STATION,
                "connector": "6560aa000000000000000004",
                "status": "Started",
                "metrics": {"energyConsumed": "1523.5", "chargingStart": "2026-11-22T09:00:00Z"},
                "energy_report": {
                    "current": {"value": "16.0", "unit": "A"},
                    "power": {"value": "11.0", "unit": "kW"},
                    "energy_meter": {"value": 12.5, "unit": "kWh"},
                    "state_of_charge": {"value": 52, "unit": "Percent"},
                },
                "cost": {"amount": "3.25", "currency": "eur"},
            },
        }
    ).encode()
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"edrv-signature": f"t={stamp},v1={digest}"}


def _thor_delivery() -> bytes:
    """A meter-values notification shaped like Thor's."""
    return json.dumps(
        {
            "type": "meters",
            "chargebox": THOR_BOX,
            "connector": 1,
            "idTag": "A1B2C3",
            "time": 600,
            "kwh": 1523,
            "meters": [
                {"measurand": "Energy.Active.Import.Register", "uom": "Wh", "value": 24500},
                {"measurand": "Power.Active.Import", "uom": "W", "value": 11000, "phase": "L1"},
                {"measurand": "Current.Import", "uom": "A", "value": 16, "phase": "L1"},
            ],
        }
    ).encode()


def _per_call(statement: object, number: int = 2000) -> float:
    """Median seconds per call over several rounds."""
    timer = timeit.Timer(statement)  # type: ignore[arg-type]
    return statistics.median(t / number for t in timer.repeat(repeat=ROUNDS, number=number))


def main() -> None:
    """Print one ratio per step of the webhook path."""
    edrv_body, headers = _edrv_delivery()
    thor_body = _thor_delivery()
    signed = EdrvWebhookDecoder(SECRET)
    unsigned = EdrvWebhookDecoder(None)
    thor = ThorWebhookDecoder(lambda: {THOR_BOX})
    rows = [
        ("eDRV decode, unsigned", edrv_body, lambda: unsigned.decode(edrv_body, headers)),
        ("eDRV decode, verified signature", edrv_body, lambda: signed.decode(edrv_body, headers)),
        ("Thor decode, meter values", thor_body, lambda: thor.decode(thor_body, {})),
    ]
    baselines = {
        body: _per_call(lambda body=body: json.loads(body)) for body in (edrv_body, thor_body)
    }
    print(f"{'step':<34} {'x json.loads':>12} {'us/delivery':>12}")
    for name, body, step in rows:
        baseline = baselines[body]
        measured = _per_call(step)
        print(f"{name:<34} {measured / baseline:>12.1f} {measured * 1e6:>12.1f}")


if __name__ == "__main__":
    main()
