"""Benchmarks in a real Home Assistant process: webhook ingest, setup, and memory.

For each account size, a fresh Home Assistant (`hass`, not the test harness) loads only http,
webhook, config and the probe in `scripts/bench_probe.py`, which registers a no-op webhook (the
floor of Home Assistant's HTTP and webhook stack) and records when each session-energy sensor
writes its state. An eDRV and a Thor account are added through the config flow API against the
simulator, in this process. A load generator on loopback then POSTs signed eDRV
`session.updated` and Thor `meters` events, alternately, spread over every connector of both
accounts, to the accounts' webhooks and, in alternate rounds, the same bodies to the no-op one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
import hashlib
import hmac
import json
import os
from pathlib import Path
import random
import shutil
import socket
import statistics
import sys
import time
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import ha_bootstrap  # noqa: E402

from custom_components.cpms.api.values import MAX_CONTAINERS  # noqa: E402
from simulator import Simulator, SimulatorConfig  # noqa: E402

USERNAME = "bench"
PASSWORD = "bench-cpms"  # noqa: S105 (a throwaway local user)
SECRET = "bench-signing-secret"  # noqa: S105
NOOP_WEBHOOK_ID = "cpms-bench-noop"
BASE_PATHS = ha_bootstrap.BASE_PATHS
PROBE = ROOT / "scripts" / "bench_probe.py"
# Written into the throwaway config dir only: hassfest checks every manifest the repository holds.
PROBE_MANIFEST = {
    "domain": "cpms_bench",
    "name": "cpms benchmark probe",
    "codeowners": [],
    "dependencies": ["http", "webhook"],
    "documentation": "https://example.invalid",
    "iot_class": "local_push",
    "requirements": [],
    "version": "0.0.0",
}

CONFIGURATION = """\
homeassistant:
  name: cpms bench
  time_zone: UTC
  unit_system: metric
  currency: EUR
  country: NL
  internal_url: http://127.0.0.1:{port}
config:
webhook:
cpms_bench:
logger:
  default: warning
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass
class Connector:
    """A connector the load generator addresses, and the energy it last reported."""

    provider: str
    station_id: str
    connector_id: str
    number: int
    energy_wh: int = 0


@dataclass
class Account:
    """A configured account: its webhook and connectors."""

    provider: str
    webhook_url: str
    connectors: list[Connector]
    flow_s: float
    setup_s: float
    flow_requests: dict[str, int]
    setup_requests: dict[str, int]
    without_entities: int = 0


@dataclass
class Hass:
    """A running Home Assistant process with both simulated accounts."""

    url: str
    process: asyncio.subprocess.Process
    sim: Simulator
    accounts: dict[str, Account] = field(default_factory=dict)
    rss_empty: int = 0
    rss_loaded: int = 0
    entities: int = 0

    @property
    def noop_url(self) -> str:
        return f"{self.url}/api/webhook/{NOOP_WEBHOOK_ID}"

    async def probe(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        async with session.get(f"{self.url}/api/cpms_bench") as response:
            response.raise_for_status()
            return dict(await response.json())


def _write_config(config: Path, integration: Path, port: int) -> Path:
    """A fresh config dir with the integration under test and the probe."""
    shutil.rmtree(config, ignore_errors=True)
    custom = config / "custom_components"
    custom.mkdir(parents=True)
    (custom / "cpms").symlink_to(integration.resolve())
    probe = custom / "cpms_bench"
    probe.mkdir()
    shutil.copy(PROBE, probe / "__init__.py")
    (probe / "manifest.json").write_text(json.dumps(PROBE_MANIFEST, indent=2))
    (config / "configuration.yaml").write_text(CONFIGURATION.format(port=port))
    return config


async def start_hass(workdir: Path, integration: Path, connectors: int) -> Hass:
    """Simulator with `connectors` per account (two per station), and a fresh Home Assistant."""
    sim = Simulator(
        SimulatorConfig(
            stations=max(1, connectors // 2),
            connectors=min(2, connectors),
            edrv_webhook_secret=SECRET,
        )
    )
    await sim.start()
    port = _free_port()
    config = _write_config(workdir / f"ha-{connectors}", integration, port)
    prepare = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "scripts" / "ha_bootstrap.py"), "prepare", str(config),
        "--port", str(port), "--username", USERNAME, "--password", PASSWORD,
    )  # fmt: skip
    if await prepare.wait() != 0:
        raise RuntimeError("preparing the Home Assistant configuration failed")
    log = (config / "bench-hass.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("hass")), "--config", str(config),
        stdout=log, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    hass = Hass(url=f"http://127.0.0.1:{port}", process=process, sim=sim)
    try:
        await _wait_until_up(hass)
    except BaseException:
        await stop_hass(hass)
        raise
    hass.rss_empty = rss_bytes(process.pid)
    return hass


async def _wait_until_up(hass: Hass) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(480):
            if hass.process.returncode is not None:
                raise RuntimeError(f"Home Assistant exited with {hass.process.returncode}")
            try:
                async with session.get(f"{hass.url}/api/cpms_bench") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.25)
    raise RuntimeError("Home Assistant did not start")


async def stop_hass(hass: Hass) -> None:
    """Stop Home Assistant and the simulator."""
    if hass.process.returncode is None:
        hass.process.terminate()
        try:
            await asyncio.wait_for(hass.process.wait(), 60)
        except TimeoutError:
            hass.process.kill()
            await hass.process.wait()
    await hass.sim.stop()


async def add_accounts(hass: Hass) -> None:
    """Add the eDRV and the Thor account through the config flow, timing each part."""
    async with aiohttp.ClientSession() as session:
        token = await ha_bootstrap._token(session, hass.url, USERNAME, PASSWORD)  # noqa: SLF001
        headers = {"Authorization": f"Bearer {token}"}
        for provider in ("edrv", "thor"):
            hass.accounts[provider] = await _add_account(hass, session, headers, provider)
        hass.rss_loaded = rss_bytes(hass.process.pid)
        probe = await hass.probe(session)
        hass.entities = probe["entities"]
        # Home Assistant adds at most 10,000 enabled entities per config entry; connectors past
        # that have none, and are left out of the deliveries.
        shown = set(probe["connectors"])
        for account in hass.accounts.values():
            account.without_entities = sum(c.connector_id not in shown for c in account.connectors)
            account.connectors = [c for c in account.connectors if c.connector_id in shown]


async def _add_account(
    hass: Hass, session: aiohttp.ClientSession, headers: dict[str, str], provider: str
) -> Account:
    sim = hass.sim
    api_key = sim.edrv_api_key if provider == "edrv" else sim.thor_api_key
    flow_url = f"{hass.url}/api/config/config_entries/flow"

    async def post(url: str, body: dict[str, Any]) -> dict[str, Any]:
        async with session.post(url, json=body, headers=headers) as response:
            return dict(await response.json())

    sim.reset_counters()
    started = time.perf_counter()
    result = await post(flow_url, {"handler": "cpms"})
    answers: list[dict[str, Any]] = [
        {"provider": provider},
        {"api_key": api_key, "advanced": {"base_url": sim.url + BASE_PATHS[provider]}},
    ]
    if provider == "edrv":
        answers.append({"webhook_secret": SECRET})
    for answer in answers:
        result = await post(f"{flow_url}/{result['flow_id']}", answer)
        if result.get("type") != "form":
            raise RuntimeError(f"adding {provider} failed at {result}")
    if result["step_id"] == "stations":  # a large account chooses its stations: all of them
        choice = {"stations": sim.station_ids(provider), "add_new_stations": True}
        result = await post(f"{flow_url}/{result['flow_id']}", choice)
    webhook_url = result["description_placeholders"]["url"]
    flow_s = time.perf_counter() - started
    flow_requests = dict(sim.counters)
    sim.reset_counters()
    started = time.perf_counter()
    # The last step creates the entry; its answer comes once the entry and its entities loaded.
    result = await post(f"{flow_url}/{result['flow_id']}", {})
    setup_s = time.perf_counter() - started
    if result.get("type") != "create_entry" or result["result"]["state"] != "loaded":
        raise RuntimeError(f"setting up {provider} failed: {result}")
    connectors = [
        Connector(provider, station_id, connector_id, number)
        for station_id in sim.station_ids(provider)
        for number, connector_id in enumerate(sim.connector_ids(provider, station_id), 1)
    ]
    return Account(
        provider=provider,
        webhook_url=webhook_url,
        connectors=connectors,
        flow_s=flow_s,
        setup_s=setup_s,
        flow_requests=flow_requests,
        setup_requests=dict(sim.counters),
    )


# Deliveries


def _edrv_body(connector: Connector, event_no: int) -> bytes:
    session_id = hashlib.md5(connector.connector_id.encode()).hexdigest()[:24]  # noqa: S324
    return json.dumps(
        {
            "_id": f"{event_no:024x}",
            "type": "session.updated",
            "object": "session",
            "createdAt": "2026-11-22T10:00:00.000Z",
            "data": {
                "_id": session_id,
                "chargestation": connector.station_id,
                "connector": connector.connector_id,
                "status": "Started",
                "metrics": {
                    "energyConsumed": connector.energy_wh,
                    "chargingStart": "2026-11-22T09:00:00Z",
                },
                "energy_report": {
                    "current": {"value": 16.0, "unit": "A"},
                    "power": {"value": 11.0 + (event_no % 7) / 10, "unit": "kW"},
                    "state_of_charge": {"value": 52, "unit": "Percent"},
                },
                "cost": {"amount": 3.25, "currency": "eur"},
            },
        }
    ).encode()


def _thor_body(connector: Connector, event_no: int) -> bytes:
    return json.dumps(
        {
            "type": "meters",
            "chargebox": connector.station_id,
            "connector": connector.number,
            "idTag": f"BENCH{connector.number}",
            "time": str(event_no),
            "kwh": connector.energy_wh,
            "meters": [
                {"measurand": "Power.Active.Import", "uom": "W", "value": 11000 + event_no % 7},
                {"measurand": "Current.Import", "uom": "A", "value": 16},
            ],
        }
    ).encode()


def _sign(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"edrv-signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


@dataclass
class Delivery:
    """One POST: where, what, and for ours the connector and energy it should show."""

    url: str
    body: bytes
    headers: dict[str, str]
    connector_id: str
    energy_wh: int


class Deliveries:
    """Events spread over every connector of both accounts, eDRV and Thor alternately."""

    def __init__(self, hass: Hass, seed: int = 1) -> None:
        """Shuffle each account's connectors once, then go round."""
        rng = random.Random(seed)  # noqa: S311 (an order, not a secret)
        self._hass = hass
        self._orders: dict[str, list[Connector]] = {}
        for provider, account in hass.accounts.items():
            order = list(account.connectors)
            rng.shuffle(order)
            self._orders[provider] = order
        self._event_no = 0

    @property
    def one_round(self) -> int:
        """How many deliveries reach every connector of both accounts at least once."""
        return 2 * max(len(order) for order in self._orders.values())

    def take(self, count: int, *, noop: bool) -> list[Delivery]:
        """The next `count` deliveries; each raises its connector's energy by 1 Wh.

        A rise any connector can deliver: the integration ignores energy beyond the rating.
        """
        deliveries = []
        for _ in range(count):
            self._event_no += 1
            provider = "edrv" if self._event_no % 2 else "thor"
            order = self._orders[provider]
            connector = order[(self._event_no // 2) % len(order)]
            connector.energy_wh += 1
            if provider == "edrv":
                body = _edrv_body(connector, self._event_no)
                headers = _sign(body)
            else:
                body = _thor_body(connector, self._event_no)
                headers = {"Content-Type": "application/json"}
            url = self._hass.noop_url if noop else self._hass.accounts[provider].webhook_url
            deliveries.append(
                Delivery(url, body, headers, connector.connector_id, connector.energy_wh)
            )
        return deliveries


@dataclass
class Run:
    """What one round of POSTs measured."""

    events: int
    seconds: float
    latencies_ms: list[float]
    missing: int = 0
    state_changes: int = 0
    unchanged_writes: int = 0

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def post_all(
    session: aiohttp.ClientSession, deliveries: list[Delivery], concurrency: int
) -> tuple[float, list[tuple[int, int]]]:
    """POST everything with `concurrency` workers; wall seconds and (sent, answered) ns."""
    times: list[tuple[int, int]] = [(0, 0)] * len(deliveries)
    pending: Iterator[int] = iter(range(len(deliveries)))

    async def worker() -> None:
        for index in pending:
            delivery = deliveries[index]
            sent = time.monotonic_ns()
            async with session.post(
                delivery.url, data=delivery.body, headers=delivery.headers
            ) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"{delivery.url} answered {response.status}")
            times[index] = (sent, time.monotonic_ns())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, times


async def ingest_round(
    hass: Hass, session: aiohttp.ClientSession, deliveries: list[Delivery], concurrency: int
) -> Run:
    """POST one round; latency to the energy sensor's write (ours) or to the answer (no-op)."""
    await hass.probe(session)  # start the probe's record afresh
    seconds, times = await post_all(session, deliveries, concurrency)
    probe = await hass.probe(session)
    noop = deliveries[0].url == hass.noop_url
    if noop:
        latencies = [(answered - sent) / 1e6 for sent, answered in times]
        return Run(len(deliveries), seconds, latencies)
    # The first write showing this event's energy or more: a later event may overtake it.
    writes: dict[str, list[tuple[int, int]]] = {}
    for connector_id, state, at in probe["energy"]:
        try:
            shown = round(float(state) * 1000)  # kWh shown, Wh sent
        except ValueError:
            continue
        writes.setdefault(connector_id, []).append((shown, at))
    latencies, missing = [], 0
    for delivery, (sent, _answered) in zip(deliveries, times, strict=True):
        written = next(
            (
                at
                for shown, at in writes.get(delivery.connector_id, ())
                if shown >= delivery.energy_wh
            ),
            None,
        )
        if written is None:
            missing += 1
        else:
            latencies.append((written - sent) / 1e6)
    return Run(
        len(deliveries),
        seconds,
        latencies,
        missing=missing,
        state_changes=probe["changed"],
        unchanged_writes=probe["reported"],
    )


def summarize(runs: list[Run]) -> dict[str, float]:
    """Medians over rounds."""
    return {
        "events_per_s": statistics.median(r.events_per_s for r in runs),
        "p50_ms": statistics.median(r.percentile(0.5) for r in runs),
        "p99_ms": statistics.median(r.percentile(0.99) for r in runs),
        "missing": sum(r.missing for r in runs),
        "state_changes_per_event": statistics.median(r.state_changes / r.events for r in runs),
        "unchanged_writes_per_event": statistics.median(
            r.unchanged_writes / r.events for r in runs
        ),
    }


async def ingest(
    hass: Hass, concurrencies: list[int], events: int, rounds: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Ours and the no-op, alternating, at each concurrency."""
    deliveries = Deliveries(hass)
    results: dict[str, dict[str, dict[str, float]]] = {}
    connector = aiohttp.TCPConnector(limit=max(concurrencies))
    async with aiohttp.ClientSession(connector=connector) as session:
        # Warm up both paths before measuring: first imports, and a session on every connector,
        # so that each event measured is a meter update of a running session.
        await post_all(session, deliveries.take(deliveries.one_round, noop=False), 8)
        await post_all(session, deliveries.take(200, noop=True), 8)
        for concurrency in concurrencies:
            ours: list[Run] = []
            floor: list[Run] = []
            for _ in range(rounds):
                for noop, runs in ((False, ours), (True, floor)):
                    batch = deliveries.take(events, noop=noop)
                    runs.append(await ingest_round(hass, session, batch, concurrency))
            results[str(concurrency)] = {"ours": summarize(ours), "noop": summarize(floor)}
    return results


async def memory(hass: Hass, events: int, samples: int = 10) -> dict[str, Any]:
    """RSS of Home Assistant, sampled while `events` deliveries go to the accounts."""
    deliveries = Deliveries(hass, seed=2)
    connector = aiohttp.TCPConnector(limit=8)
    async with aiohttp.ClientSession(connector=connector) as session:
        # A running session on every connector first: what grows after that is not bounded.
        await post_all(session, deliveries.take(deliveries.one_round, noop=False), 8)
        await hass.probe(session)
        rss = [rss_bytes(hass.process.pid)]
        for _ in range(samples):
            await post_all(session, deliveries.take(events // samples, noop=False), 8)
            await hass.probe(session)  # drop the probe's own record
            rss.append(rss_bytes(hass.process.pid))
    half = len(rss) // 2
    return {
        "events": events,
        "rss_bytes": rss,
        "growth_bytes": rss[-1] - rss[0],
        # The allocator settles in the first half; a leak keeps growing in the second.
        "second_half_growth_bytes": rss[-1] - rss[half],
    }


# Loop hold: how long one delivery keeps Home Assistant's event loop from anything else.

_ALMOST_64_KIB = 64 * 1024 - 256


def _accepted(body: bytes) -> bool:
    return len(body) <= _ALMOST_64_KIB and body.count(b"{") + body.count(b"[") <= MAX_CONTAINERS


def _filled(make: Callable[[int], bytes]) -> bytes:
    """The largest `make(n)` the decoders still parse: n grows by halving the step."""
    n, step = 0, 1024
    while step:
        if _accepted(make(n + step)):
            n += step
        else:
            step //= 2
    return make(n)


def _edrv_largest(connector: Connector, event_no: int) -> bytes:
    """A session.updated with many meter values and a long string, just under 64 KiB."""
    normal = json.loads(_edrv_body(connector, event_no))

    def make(n: int) -> bytes:
        normal["data"]["meter_values"] = [
            {"measurand": "Power.Active.Import", "value": 11000 + i, "unit": "W"} for i in range(n)
        ]
        normal["data"]["comment"] = "x" * min(n, 4000)
        return json.dumps(normal).encode()

    return _filled(make)


def _thor_largest(connector: Connector, event_no: int) -> bytes:
    """A meters notification with as many meter values as fit under 64 KiB."""
    normal = json.loads(_thor_body(connector, event_no))
    meter = {"measurand": "Voltage", "uom": "V", "value": 230.1, "phase": "L1-N"}

    def make(n: int) -> bytes:
        normal["meters"] = [*normal["meters"][:2], *([meter] * n)]
        return json.dumps(normal).encode()

    return _filled(make)


def _nested(prefix: bytes, suffix: bytes) -> bytes:
    """A JSON value nested as deep as fits under 64 KiB, between `prefix` and `suffix`."""
    depth = (_ALMOST_64_KIB - len(prefix) - len(suffix)) // 2
    return prefix + b"[" * depth + b"]" * depth + suffix


def _edrv_nested(connector: Connector, event_no: int) -> bytes:
    head = f'{{"_id": "{event_no:024x}", "type": "session.updated", "data": '
    return _nested(head.encode(), b"}")


def _thor_nested(connector: Connector, event_no: int) -> bytes:
    head = f'{{"type": "meters", "chargebox": "{connector.station_id}", "connector": 1, "meters": '
    return _nested(head.encode(), b"}")


# Just under the digits Python converts to an int (4,300): the costliest numbers it accepts.
_HUGE = "9" * 4200


def _edrv_huge(connector: Connector, event_no: int) -> bytes:
    body = _edrv_body(connector, event_no).decode()
    numbers = ", ".join([_HUGE] * 15)
    return body.replace('"metrics": {', f'"huge": [{numbers}], "metrics": {{', 1).encode()


def _thor_huge(connector: Connector, event_no: int) -> bytes:
    body = json.loads(_thor_body(connector, event_no))
    body["kwh"] = 0
    text = json.dumps(body).replace('"kwh": 0', f'"kwh": {_HUGE}', 1)
    values = ", ".join(
        f'{{"measurand": "Power.Active.Import", "uom": "W", "value": {_HUGE}}}' for _ in range(14)
    )
    return text.replace('"meters": [', f'"meters": [{values}, ', 1).encode()


def _thor_oversized(connector: Connector, event_no: int) -> bytes:
    """10 MB of meter values: refused before it is read whole."""
    body = _thor_body(connector, event_no)
    meter = b'{"measurand": "Voltage", "uom": "V", "value": 230.1}, '
    return body.replace(b'"meters": [', b'"meters": [' + meter * (10_000_000 // len(meter)), 1)


# Kind: (provider, body). Each delivery of a kind is built afresh, with its own event id.
LOOP_KINDS: dict[str, tuple[str, Callable[[Connector, int], bytes]]] = {
    "eDRV normal": ("edrv", _edrv_body),
    "Thor normal": ("thor", _thor_body),
    "eDRV largest accepted": ("edrv", _edrv_largest),
    "Thor largest accepted": ("thor", _thor_largest),
    "eDRV deep nesting": ("edrv", _edrv_nested),
    "Thor deep nesting": ("thor", _thor_nested),
    "eDRV huge numbers": ("edrv", _edrv_huge),
    "Thor huge numbers": ("thor", _thor_huge),
    "Thor 10 MB (refused)": ("thor", _thor_oversized),
}


async def _lag_ms(hass: Hass, session: aiohttp.ClientSession) -> float:
    """The probe's largest loop lag since the last call, which starts it afresh."""
    async with session.get(f"{hass.url}/api/cpms_bench", params={"lag": ""}) as response:
        response.raise_for_status()
        return float((await response.json())["lag_max_ms"])


def _p99(values: list[float]) -> float:
    """Interpolated between the two largest when there are fewer than 100."""
    return statistics.quantiles(values, n=100, method="inclusive")[98]


async def loop_hold(hass: Hass, deliveries: int) -> dict[str, dict[str, Any]]:
    """Per kind, the loop lag around each delivery, one at a time: ours against the no-op."""
    results: dict[str, dict[str, Any]] = {}
    event_no = 10**9  # past the ingest's event ids
    async with aiohttp.ClientSession() as session:
        for kind, (provider, build) in LOOP_KINDS.items():
            connector = hass.accounts[provider].connectors[0]
            lags: dict[str, list[float]] = {"ours": [], "noop": []}
            statuses: set[int] = set()
            size = 0
            for _ in range(deliveries):
                for path, url in (
                    ("ours", hass.accounts[provider].webhook_url),
                    ("noop", hass.noop_url),
                ):
                    event_no += 1
                    connector.energy_wh += 1
                    body = build(connector, event_no)
                    size = len(body)
                    headers = _sign(body) if provider == "edrv" else {}
                    headers["Content-Type"] = "application/json"
                    await _lag_ms(hass, session)
                    async with session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        if path == "ours":
                            statuses.add(response.status)
                        if response.status >= 500:
                            raise RuntimeError(f"{kind} answered {response.status}")
                    await asyncio.sleep(0.01)  # work the answer left behind shows here too
                    lags[path].append(await _lag_ms(hass, session))
            results[kind] = {
                "bytes": size,
                "statuses": sorted(statuses),
                **{
                    path: {
                        "max_ms": max(values),
                        "p99_ms": _p99(values),
                        "lags_ms": [round(v, 3) for v in values],
                    }
                    for path, values in lags.items()
                },
            }
    return results


def environment() -> dict[str, Any]:
    """The machine the numbers come from."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    load = os.getloadavg()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 2**20, 1),
        "load_average_1m": round(load[0], 2),
        "python": sys.version.split()[0],
    }
