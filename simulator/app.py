"""The Simulator: both clouds, the control API and webhook delivery on one aiohttp server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Self

import aiohttp
from aiohttp import web

from .clock import SimClock, iso
from .config import SimulatorConfig
from .control import ControlApi
from .counters import Counters
from .dialects import Dialects
from .edrv import EdrvApi
from .errors import SimulatorError
from .faults import Faults
from .gateway import gateway
from .layout import Layout
from .signing import edrv_signer
from .thor import ThorApi
from .webhooks import WebhookQueue
from .world import Provider, Station, World

if TYPE_CHECKING:
    from types import TracebackType

    from .world import Session, WorldEvent

_LOGGER = logging.getLogger(__name__)

# How often a running clock catches up with real time, in real seconds.
TICK_S = 0.1


class Simulator:
    """Stand-in for the eDRV and Thor clouds; use `async with` or start() and stop()."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        """Build the world from `config`; nothing is served until `start`."""
        self.config = config or SimulatorConfig()
        self.faults = Faults()
        self.dialects = Dialects()
        self.dialects.set(Provider.EDRV, self.config.edrv_dialect)
        self.dialects.set(Provider.THOR, self.config.thor_dialect)
        self._counters = Counters()
        self.clock = SimClock(float(int(time.time())), self.config.clock_factor)
        self._queues = {
            Provider.EDRV: WebhookQueue(
                Provider.EDRV,
                url=self.config.edrv_webhook_url,
                faults=self.faults,
                counters=self._counters,
                signer=edrv_signer(self.config.edrv_webhook_secret, self.dialects),
            ),
            Provider.THOR: WebhookQueue(
                Provider.THOR,
                url=self.config.thor_webhook_url,
                faults=self.faults,
                counters=self._counters,
            ),
        }
        layout = Layout(self.config, self.clock.now)
        self.world = World(self.config, self.clock, layout, self._publish)
        self._edrv = EdrvApi(
            self.world,
            self.clock,
            self.config,
            self.faults,
            self._queues[Provider.EDRV],
            dialects=self.dialects,
        )
        self._thor = ThorApi(
            self.world,
            self.clock,
            self.config,
            self.faults,
            self._queues[Provider.THOR],
            dialects=self.dialects,
        )
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._url: str | None = None

    async def __aenter__(self) -> Self:
        """Start serving."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop serving."""
        await self.stop()

    # Lifecycle

    async def start(self) -> None:
        """Bind the server (port 0 picks a free port) and start delivering webhooks."""
        if self._runner is not None:
            raise SimulatorError("the simulator is already running")
        app = web.Application(
            middlewares=[
                gateway([self._edrv, self._thor], self.faults, self._counters, self.config.seed)
            ]
        )
        app.add_routes(self._edrv.routes() + self._thor.routes() + ControlApi(self).routes())
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.config.port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        host, port = runner.addresses[0][:2]
        self._url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
        self._http = aiohttp.ClientSession()
        for queue in self._queues.values():
            queue.start(self._http)
        if self.config.clock_factor > 0:
            self._ticker = asyncio.create_task(self._run_clock(), name="simulator clock")
        self._log_layout()

    async def stop(self) -> None:
        """Stop the clock, webhook delivery and the server; safe to call twice."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        for queue in self._queues.values():
            await queue.stop()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            _LOGGER.info("simulator stopped")

    # Addresses and identities

    @property
    def url(self) -> str:
        """Return the server's base URL, e.g. http://127.0.0.1:8080."""
        if self._url is None:
            raise SimulatorError("the simulator has not been started")
        return self._url

    @property
    def edrv_base_url(self) -> str:
        """Return the eDRV API base URL."""
        return self.url + self._edrv.prefix

    @property
    def thor_base_url(self) -> str:
        """Return the Thor API base URL."""
        return self.url + self._thor.prefix

    @property
    def thor_command_base_url(self) -> str:
        """Return the base URL of Thor's command host (dev.api.thor.tools in the docs)."""
        return self.url + self._thor.command_prefix

    @property
    def edrv_api_key(self) -> str:
        """Return the eDRV API key the simulator accepts."""
        return self.config.edrv_api_key

    @property
    def thor_api_key(self) -> str:
        """Return the Thor API key the simulator accepts."""
        return self.config.thor_api_key

    @property
    def edrv_user_ids(self) -> list[str]:
        """Return the eDRV user ids; the first is "Home Assistant"."""
        return [user.id for user in self.world.users]

    def station_ids(self, provider: str) -> list[str]:
        """Return the station ids of one provider ("edrv" or "thor")."""
        return [s.id for s in self.world.stations_of(_provider(provider))]

    def connector_ids(self, provider: str, station_id: str) -> list[str]:
        """Return a station's connector ids (eDRV _id, Thor "<chargebox>_<n>") by position."""
        return [c.id for c in self._station(provider, station_id).connectors]

    # World changes

    def set_dialect(self, provider: str, name: str) -> None:
        """Make one cloud answer in the named dialect from now on (see simulator.dialects)."""
        self.dialects.set(provider, name)
        _LOGGER.info("%s speaks the %r dialect", provider, name)

    def set_webhook_url(self, provider: str, url: str | None) -> None:
        """Send a provider's webhooks to `url`; None skips them."""
        self._queues[_provider(provider)].url = url

    def add_station(self, provider: str, connectors: int | None = None) -> str:
        """Connect a new station to the account and return its id.

        It has `connectors` connectors (default config.connectors), a vehicle plugged in per
        config.plugged_in, and is online. eDRV sends chargestation.online for it; Thor sends
        no station notifications, so nothing goes out.
        """
        count = self.config.connectors if connectors is None else connectors
        station = self.world.add_station(_provider(provider), count)
        _LOGGER.info("added %s", _describe(station))
        return station.id

    def remove_station(self, provider: str, station_id: str) -> None:
        """Take a station off the account: it leaves the listings and reads as not found.

        Refused while a session holds one of its connectors. Nothing is sent for it.
        """
        station = self._station(provider, station_id)
        self.world.remove_station(station)
        _LOGGER.info("removed %s station %s (%s)", station.provider.value, station.id, station.name)

    def plug(self, provider: str, station_id: str, connector_no: int) -> None:
        """Plug a vehicle into a connector (1-based)."""
        self.world.plug(self._station(provider, station_id), connector_no)

    def unplug(self, provider: str, station_id: str, connector_no: int) -> None:
        """Unplug the vehicle from a connector (1-based)."""
        self.world.unplug(self._station(provider, station_id), connector_no)

    def set_online(self, provider: str, station_id: str, online: bool) -> None:
        """Connect or disconnect a station."""
        self.world.set_online(self._station(provider, station_id), online=online)

    def local_start(self, provider: str, station_id: str, connector_no: int, id_tag: str) -> str:
        """Start charging with an RFID card at the station; return the session id.

        The id is the eDRV session _id, or the Thor transaction id as a string.
        """
        session = self.world.local_start(self._station(provider, station_id), connector_no, id_tag)
        return _session_id(session)

    # Time and traffic

    async def advance(self, seconds: float) -> None:
        """Move simulated time on, running every timeout, delay and meter tick due, in order."""
        if seconds < 0:
            raise SimulatorError("seconds must be >= 0")
        self.clock.advance(seconds)

    async def flush_webhooks(self) -> None:
        """Wait until every queued webhook has been delivered or given up on."""
        for queue in self._queues.values():
            await queue.flush()

    @property
    def counters(self) -> dict[str, int]:
        """Return API request counts keyed "<provider> <METHOD> <route template>"."""
        return self._counters.requests

    @property
    def webhook_counters(self) -> dict[str, int]:
        """Return webhook counts keyed "<provider> sent|failed|dropped|skipped"."""
        return self._counters.webhooks

    def reset_counters(self) -> None:
        """Zero both request and webhook counts."""
        self._counters.reset()

    def state(self) -> dict[str, object]:
        """Return a JSON-ready dump of stations, sessions, queues and faults."""
        world = self.world
        return {
            "now": iso(self.clock.now),
            "clock_factor": self.config.clock_factor,
            "timers": self.clock.pending,
            "stations": {
                provider.value: [_station_state(s) for s in world.stations_of(provider)]
                for provider in Provider
            },
            "sessions": [
                {
                    "provider": s.station.provider.value,
                    "id": _session_id(s),
                    "station": s.station.id,
                    "connector": s.connector.number,
                    "source": s.source,
                    "phase": s.phase.value,
                    "stopping": s.stopping,
                    "id_tag": s.id_tag,
                    "energy_wh": round(world.energy_wh(s), 1),
                    "power_w": round(world.power_now_w(s), 1),
                }
                for s in world.sessions
            ],
            "webhooks": {
                provider.value: {"url_set": queue.url is not None, "queued": queue.queued}
                for provider, queue in self._queues.items()
            },
            "faults": self.faults.as_dict(),
            "dialects": self.dialects.as_dict(),
        }

    # Internals

    def _publish(self, event: WorldEvent) -> None:
        if event.station.provider is Provider.EDRV:
            self._edrv.publish(event)
        else:
            self._thor.publish(event)

    def _station(self, provider: str, station_id: str) -> Station:
        station = self.world.station(_provider(provider), station_id)
        if station is None:
            raise SimulatorError(f"no {provider} station {station_id!r}")
        return station

    async def _run_clock(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            self.clock.advance((now - last) * self.config.clock_factor)
            last = now

    def _log_layout(self) -> None:
        clock = (
            "manual clock"
            if self.config.clock_factor == 0
            else f"{self.config.clock_factor:g} simulated s per real s"
        )
        _LOGGER.info("simulator serving on %s (%s)", self.url, clock)
        _LOGGER.info("eDRV API: %s", self.edrv_base_url)
        _LOGGER.info("Thor API: %s (commands: %s)", self.thor_base_url, self.thor_command_base_url)
        _LOGGER.info("dialects: %s", self.dialects.as_dict())
        _LOGGER.info("control: %s/_sim/state", self.url)
        for station in self.world.stations:
            _LOGGER.info("%s", _describe(station))
        for user in self.world.users:
            _LOGGER.info("edrv user %s (%s %s)", user.id, user.firstname, user.lastname)


def _provider(value: str) -> Provider:
    try:
        return Provider(value)
    except ValueError:
        raise SimulatorError(f"provider must be edrv or thor, not {value!r}") from None


def _describe(station: Station) -> str:
    name = f"{station.provider.value} station {station.id} ({station.name})"
    return f"{name}, connectors {', '.join(c.id for c in station.connectors)}"


def _session_id(session: Session) -> str:
    if session.station.provider is Provider.THOR and session.transaction_id is not None:
        return str(session.transaction_id)
    return session.id


def _station_state(station: Station) -> dict[str, object]:
    return {
        "id": station.id,
        "name": station.name,
        "online": station.online,
        "connectors": [
            {
                "number": c.number,
                "id": c.id,
                "status": c.status,
                "plugged": c.plugged,
                "session": None if c.session is None else _session_id(c.session),
            }
            for c in station.connectors
        ],
    }
