"""Thor's integration API and its notifications, served under /thor/latest/integration.

Errors are the HTTP status with an opaque body holding the PascalCase code: `{"message": code}`
or the bare code as text, per the configured variant (alternating per error by default). A wrong
or revoked X-Api-Key is 403 APIKeyNotFound. Successful stops answer 200 with an empty body.

Notifications go to one URL: start (`accepted`, `transaction_id`, and the mode either as "mode"
or, per the variant, as a second "type" key in the raw JSON), meters, stop_transaction, and the
`msg: "stop"` form for a rejected stop. Thor has no connector status, so none is sent.

Choices where the documentation is silent:
- A start on an offline chargebox answers 200 {id_tag}, then after start_delay_s a start
  notification with accepted false and transaction_id 0, as a station that never answers the
  remote start would produce. A stop on an offline chargebox answers 200, then a rejected stop.
- A second start on a connector whose start is still pending is 429 TooManyRequests; a start on a
  charging connector is 400 AlreadyInTransaction.
- The running list shows id_tag null for API starts (documented) and the card for local starts;
  `type` is the start mode ("api" or "local"); `user` is null and `users` empty.
- Finished charges are matched on their UTC finish date; a missing or malformed from/to is 400.
- A transaction of 0 in a stop request counts as absent (0 is the schema default).
- Meters send the absolute Energy.Active.Import.Register; `kwh` is the session's Wh; `time`
  is the session's duration in seconds (a string in meters, an integer in stop messages).

Both hosts serve the same account: the read host (api.thor.tools) under PREFIX and the command
host (dev.api.thor.tools) under COMMAND_PREFIX. Which host takes which calls, and the units of
`kwh`, follow the dialect in force (see simulator.dialects).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
import json
from typing import TYPE_CHECKING, Any, ClassVar, TypeIs

from aiohttp import web

from .clock import epoch_ms
from .faults import split_status
from .gateway import ApiError
from .world import EventKind, Phase, Provider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .clock import SimClock
    from .config import SimulatorConfig
    from .dialects import Dialects
    from .faults import Faults
    from .webhooks import WebhookQueue
    from .world import Connector, Session, Station, World, WorldEvent

PREFIX = "/thor/latest/integration"
COMMAND_PREFIX = "/thor-dev/latest/integration"
_COMMANDS = ("/charges/start", "/charges/stop")
TIMEZONE = "Europe/Rome"
COORDINATES = (45.4642, 9.19)
ERROR_STATUS = {
    "ConnectorNotValid": 400,
    "AlreadyInTransaction": 400,
    "NotInTransaction": 400,
    "WrongTransaction": 400,
    "ChargeboxNotFree": 402,
    "APIKeyNotFound": 403,
    "RestAPINotEnabled": 403,
    "InvalidSourceIPAddr": 403,
    "ChargeboxNotActive": 403,
    "ChargeboxNotFound": 404,
    "TooManyRequests": 429,
    "InternalServerError": 500,
}
INVALID_BODY = "InvalidRequestBody"
_START_REFUSALS = {EventKind.SESSION_CANCELLED, EventKind.SESSION_START_FAILURE}

type Json = dict[str, Any]


class ThorApi:
    """Routes, JSON shapes and notifications of Thor."""

    provider = Provider.THOR
    prefix = PREFIX
    command_prefix = COMMAND_PREFIX
    hosts: ClassVar[Mapping[str, str]] = {PREFIX: "thor", COMMAND_PREFIX: "thor-dev"}

    def __init__(
        self,
        world: World,
        clock: SimClock,
        config: SimulatorConfig,
        faults: Faults,
        webhooks: WebhookQueue,
        *,
        dialects: Dialects,
    ) -> None:
        """Serve `world`'s Thor chargeboxes and send their notifications to `webhooks`."""
        self._dialects = dialects
        self._world = world
        self._clock = clock
        self._config = config
        self._faults = faults
        self._webhooks = webhooks
        self._errors = 0

    def routes(self) -> list[web.RouteDef]:
        """Return the API's routes."""
        return [
            route
            for p in self.hosts
            for route in (
                web.get(f"{p}/chargeboxes", self._list_chargeboxes),
                web.get(f"{p}/chargeboxes/{{id}}", self._get_chargebox),
                web.get(f"{p}/charges/running", self._running),
                web.get(f"{p}/charges/finished", self._finished),
                web.post(f"{p}/charges/start", self._start),
                web.post(f"{p}/charges/stop", self._stop),
            )
        ]

    # Gateway hooks

    def check_key(self, request: web.Request, *, revoked: bool) -> None:
        """Accept only the configured X-Api-Key, on the host the dialect takes it on."""
        if revoked or request.headers.get("X-Api-Key") != self._config.thor_api_key:
            raise ApiError(403, "APIKeyNotFound")
        on_command_host = request.path.startswith(COMMAND_PREFIX + "/")
        if self._dialects.thor.command_host == "read":
            wrong_host = on_command_host
        else:
            wrong_host = not on_command_host and request.path.endswith(_COMMANDS)
        if wrong_host:
            raise ApiError(403, "APIKeyNotFound")

    def error(self, status: int, message: str) -> web.Response:
        """Render an opaque error body: JSON or plain text, per the variant."""
        quirky = self._config.quirky(self._errors)
        self._errors += 1
        if quirky:
            return web.Response(status=status, text=message)
        return web.json_response({"message": message}, status=status)

    def rate_limited(self, retry_after_s: int) -> web.Response:
        """Render a 429; Thor documents no Retry-After, so none is sent."""
        return self.error(429, "TooManyRequests")

    def server_error(self) -> web.Response:
        """Render a 500."""
        return self.error(500, "InternalServerError")

    # Notifications

    def publish(self, event: WorldEvent) -> None:
        """Queue the notification for a world change, if Thor sends one."""
        session = event.session
        if session is None:
            return
        if event.kind is EventKind.SESSION_STARTED:
            label, body = "start", self._start_note(session, accepted=True)
        elif event.kind in _START_REFUSALS:
            label, body = "start", self._start_note(session, accepted=False)
        elif event.kind is EventKind.SESSION_UPDATED:
            label, body = "meters", _dumps(self._meters_note(session))
        elif event.kind is EventKind.SESSION_ENDED:
            label, body = "stop_transaction", _dumps(self._stop_note(session))
        elif event.kind is EventKind.SESSION_STOP_FAILURE:
            label, body = "stop", _dumps(self._stop_refused_note(session))
        else:
            return
        self._webhooks.put(label, body)

    def _start_note(self, session: Session, *, accepted: bool) -> bytes:
        mode = "api" if session.source == "api" else "local"
        note: Json = {
            "type": "start",
            "accepted": accepted,
            "chargebox": session.station.id,
            "id": session.id_tag,
            "connector": session.connector.number,
            "transaction_id": session.transaction_id if accepted else 0,
        }
        if not self._config.quirky(session.seq):
            return _dumps(note | {"mode": mode})
        # The documented examples repeat "type"; json.loads keeps only the last one.
        raw = _dumps(note)
        return raw[:-1] + b',"type":' + _dumps(mode) + b"}"

    def _meters_note(self, session: Session) -> Json:
        world = self._world
        quirky = self._config.quirky(session.seq)
        value_key = "Value" if quirky else "value"
        register = session.meter_start_wh + world.energy_wh(session)
        power_w = world.power_now_w(session)
        meters = [
            {
                "measurand": "Energy.Active.Import.Register",
                "uom": "kWh" if quirky else "Wh",
                value_key: round(register / 1000, 3) if quirky else round(register, 1),
                "phase": "L1-N",
            },
            {
                "measurand": "Power.Active.Import",
                "uom": "kW" if quirky else "W",
                value_key: round(power_w / 1000, 3) if quirky else round(power_w, 1),
            },
            {
                "measurand": "Current.Import",
                "uom": "A",
                value_key: round(world.current_a(session), 1),
            },
            {"measurand": "SoC", "uom": "Percent", value_key: round(world.soc(session), 1)},
        ]
        note: Json = {
            "type": "meters",
            "chargebox": session.station.id,
            "connector": session.connector.number,
            "idTag": session.id_tag,
            "time": str(self._duration_s(session)),
            "kwh": round(world.energy_wh(session)),
            "meters": meters,
        }
        if not self._dialects.thor.meters_kwh:
            del note["kwh"]
        return note

    def _stop_note(self, session: Session) -> Json:
        return {
            "type": "stop_transaction",
            "accepted": True,
            "unlocked": False,
            "chargebox": session.station.id,
            "idTag": session.id_tag,
            "connector": session.connector.number,
            "transaction_id": session.transaction_id,
            "kwh": self._stop_kwh(session),
            "time": self._duration_s(session),
        }

    def _stop_kwh(self, session: Session) -> float:
        energy_wh = self._world.energy_wh(session)
        if self._dialects.thor.stop_kwh_in_kwh:
            return round(energy_wh / 1000, 3)
        return round(energy_wh)

    def _stop_refused_note(self, session: Session) -> Json:
        return {
            "msg": "stop",
            "accepted": False,
            "unlocked": False,
            "chargebox": session.station.id,
            "idTag": session.id_tag,
            "connector": session.connector.number,
            "transaction_id": 0,
            "energy": round(self._world.energy_wh(session)),
            "time": self._duration_s(session),
        }

    def _duration_s(self, session: Session) -> int:
        started = session.started_at if session.started_at is not None else session.created_at
        end = session.stopped_at if session.stopped_at is not None else self._clock.now
        return round(self._clock.real(end) - self._clock.real(started))

    # JSON shapes

    def chargebox_json(self, station: Station) -> Json:
        """Render a chargebox."""
        heartbeat = self._clock.now if station.online else station.last_disconnect_at
        return {
            "id": station.id,
            "alias": station.name,
            "active": True,
            "connected": station.online,
            "public": False,
            "reservable": False,
            "last_heartbeat": epoch_ms(self._clock.real(heartbeat or station.last_connect_at)),
            "timezone": TIMEZONE,
            "coordinates": {"latitude": COORDINATES[0], "longitude": COORDINATES[1]},
            "type": {"vehicle": "car", "msg": "json", "version": "1.6"},
            "connectors": [
                {
                    "power": c.power_w,
                    "type": "Type2",
                    "format": "SOCKET",
                    "max_amperage": c.max_amperage,
                    "power_type": "AC_3_PHASE",
                }
                for c in station.connectors
            ],
            "occupied_connectors": [c.number for c in station.connectors if _running(c)],
            "reserved_connectors": [],
        }

    def charge_json(self, session: Session) -> Json:
        """Render a running or finished charge."""
        item: Json = {
            "chargebox": session.station.id,
            "connector": session.connector.number,
            "date_started": epoch_ms(self._clock.real(session.started_at or session.created_at)),
            "energy": round(self._world.energy_wh(session)),
            "id": session.transaction_id,
            "id_tag": session.id_tag if session.source == "local" else None,
            "payment": None,
            "type": session.source,
            "user": None,
        }
        if session.stopped_at is not None:
            item["date_finished"] = epoch_ms(self._clock.real(session.stopped_at))
        return item

    # Handlers

    async def _list_chargeboxes(self, request: web.Request) -> web.Response:
        if request.query.get("onlyactive", "true").lower() not in {"true", "false", "1", "0"}:
            raise ApiError(400, INVALID_BODY)
        # Every simulated chargebox is active, so onlyactive changes nothing.
        boxes = [self.chargebox_json(s) for s in self._world.stations_of(Provider.THOR)]
        return web.json_response(boxes)

    async def _get_chargebox(self, request: web.Request) -> web.Response:
        return web.json_response(self.chargebox_json(self._chargebox(request.match_info["id"])))

    async def _running(self, request: web.Request) -> web.Response:
        sessions = [s for s in self._thor_sessions(request) if s.phase is Phase.STARTED]
        items = [self.charge_json(s) for s in sessions]
        return web.json_response({"count": len(items), "items": items, "users": {}})

    async def _finished(self, request: web.Request) -> web.Response:
        first, last = _day(request, "from"), _day(request, "to")
        items = [
            self.charge_json(s)
            for s in self._thor_sessions(request)
            if s.phase is Phase.ENDED
            and s.stopped_at is not None
            and first
            <= datetime.fromtimestamp(self._clock.real(s.stopped_at), tz=UTC).date()
            <= last
        ]
        return web.json_response({"count": len(items), "items": items})

    async def _start(self, request: web.Request) -> web.Response:
        body = await _body(request)
        failure = self._faults.take_start_failure()
        if failure is not None:
            status, code = split_status(failure)
            raise ApiError(status or ERROR_STATUS.get(code, 400), code)
        station, connector = self._target(body)
        session = connector.session
        if session is not None and session.phase is Phase.STARTED:
            raise ApiError(400, "AlreadyInTransaction")
        if session is not None:
            raise ApiError(429, "TooManyRequests")
        id_tag = self._world.ids.hex(16).upper()
        self._world.start(station, connector, id_tag=id_tag)
        return web.json_response({"id_tag": id_tag})

    async def _stop(self, request: web.Request) -> web.Response:
        body = await _body(request)
        _station, connector = self._target(body)
        id_tag, transaction = body.get("id_tag"), body.get("transaction", 0)
        if not isinstance(id_tag, str) or not _is_int(transaction):
            raise ApiError(400, INVALID_BODY)
        session = connector.session
        if session is None or session.phase is not Phase.STARTED:
            raise ApiError(400, "NotInTransaction")
        if id_tag != session.id_tag or transaction not in {0, session.transaction_id}:
            raise ApiError(400, "WrongTransaction")
        if not session.stopping:
            failure = self._faults.take_stop_failure()
            if failure is not None:
                status, code = split_status(failure)
                if status is not None:
                    raise ApiError(status, code)
            self._world.request_stop(session, fail=failure is not None)
        return web.Response(status=200)

    # Helpers

    def _chargebox(self, chargebox_id: object) -> Station:
        station = None
        if isinstance(chargebox_id, str):
            station = self._world.station(Provider.THOR, chargebox_id)
        if station is None:
            raise ApiError(404, "ChargeboxNotFound")
        return station

    def _target(self, body: Json) -> tuple[Station, Connector]:
        if not isinstance(body.get("chargebox"), str):
            raise ApiError(400, INVALID_BODY)
        station = self._chargebox(body["chargebox"])
        number = body.get("connector")
        connector = station.connector(number) if _is_int(number) else None
        if connector is None:
            raise ApiError(400, "ConnectorNotValid")
        return station, connector

    def _thor_sessions(self, request: web.Request) -> list[Session]:
        wanted = request.query.get("chargebox")
        return [
            s
            for s in self._world.sessions
            if s.station.provider is Provider.THOR and wanted in {None, s.station.id}
        ]


def _running(connector: Connector) -> bool:
    return connector.session is not None and connector.session.phase is Phase.STARTED


def _is_int(value: object) -> TypeIs[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _day(request: web.Request, key: str) -> date:
    value = request.query.get(key, "")
    try:
        return datetime.strptime(value, "%Y%m%d").replace(tzinfo=UTC).date()
    except ValueError:
        raise ApiError(400, f"Invalid{key.capitalize()}Date") from None


async def _body(request: web.Request) -> Json:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, INVALID_BODY) from None
    if not isinstance(body, dict):
        raise ApiError(400, INVALID_BODY)
    return body


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
