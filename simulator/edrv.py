"""eDRV's REST API v1.1 and its webhooks, served under /edrv/v1.1.

Every answer is the `{"ok", "message", "result"}` envelope; lists add `hasNext` and `hasPrevious`
and honour paginate_limit (default 20, capped at max_page_size), paginate_page (1-based), sort_by
and sort_order. Quirks follow the configured variant (see SimulatorConfig): session status
"Started"/"Ended" or lowercase beside "created"/"cancelled", numbers or numeric strings,
energy_meter in kWh or Wh, power in kW or W. Cost currency is lowercase.

Choices where the documentation is silent: commands to an offline station (start, stop, power
limits) answer 406 "Chargestation is offline"; only a started session can be stopped (400
otherwise); a session whose start failed reads "cancelled"; stations answer power limits after
command_delay_s, rejecting limits under 6 A; sessions get the documented 12-hour time target
unless the request sets one; a station's meta_data notes hold non-ASCII text, so that signatures
over the escaped payload differ from those over the bytes.

What the documentation leaves open follows the dialect in force (see simulator.dialects).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from .clock import iso
from .faults import split_status
from .gateway import ApiError
from .world import Phase, Provider

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .clock import SimClock
    from .config import SimulatorConfig
    from .dialects import Dialects
    from .faults import Faults
    from .webhooks import WebhookQueue
    from .world import Action, Connector, Session, Station, World, WorldEvent

PREFIX = "/edrv/v1.1"
DEFAULT_PAGE_SIZE = 20
DEFAULT_TIME_TARGET_MIN = 720.0
TIMEZONE = "Europe/Amsterdam"
VENDOR = "SimCharge"
MODEL = "AC22-DUO"
FIRMWARE = "1.8.4"
OFFLINE = "Chargestation is offline"
_TARGET_KEYS = ("energy", "time", "cost")

type Json = dict[str, Any]


class EdrvApi:
    """Routes, JSON shapes and webhooks of eDRV."""

    provider = Provider.EDRV
    prefix = PREFIX
    hosts: ClassVar[Mapping[str, str]] = {PREFIX: "edrv"}

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
        """Serve `world`'s eDRV stations and send their webhooks to `webhooks`."""
        self._dialects = dialects
        self._world = world
        self._clock = clock
        self._config = config
        self._faults = faults
        self._webhooks = webhooks

    def routes(self) -> list[web.RouteDef]:
        """Return the API's routes."""
        p = PREFIX
        return [
            web.get(f"{p}/chargestations", self._list_stations),
            web.get(f"{p}/chargestations/{{id}}", self._get_station),
            web.get(f"{p}/users", self._list_users),
            web.post(f"{p}/sessions", self._create_session),
            web.get(f"{p}/sessions", self._list_sessions),
            web.get(f"{p}/sessions/{{id}}", self._get_session),
            web.get(f"{p}/sessions/{{id}}/stop", self._stop_session),
            web.post(f"{p}/sessions/{{id}}/set_power_limit", self._set_session_limit),
            web.post(f"{p}/connectors/{{id}}/set_default_power_limit", self._set_default_limit),
        ]

    # Gateway hooks

    def check_key(self, request: web.Request, *, revoked: bool) -> None:
        """Accept only `Authorization: Bearer <key>`; a revoked key reads as an expired token."""
        if request.headers.get("Authorization") != f"Bearer {self._config.edrv_api_key}":
            raise ApiError(401, "Unauthorized")
        if revoked:
            raise ApiError(401, "jwt expired")

    def error(self, status: int, message: str) -> web.Response:
        """Render the error envelope."""
        body = {"ok": False, "message": message, "result": None}
        return web.json_response(body, status=status, dumps=_dumps_text)

    def rate_limited(self, retry_after_s: int) -> web.Response:
        """Render a 429 with Retry-After."""
        response = self.error(429, "Too Many Requests")
        response.headers["Retry-After"] = str(retry_after_s)
        return response

    def server_error(self) -> web.Response:
        """Render a 500."""
        return self.error(500, "Internal Server Error")

    # Webhooks

    def publish(self, event: WorldEvent) -> None:
        """Queue the webhook for a world change."""
        if event.action is not None:
            kind, data = "action", self.action_json(event.action)
        elif event.session is not None:
            kind, data = "session", self.session_json(event.session)
        else:
            kind, data = "chargestation", self.station_json(event.station)
        envelope = {
            "_id": self._world.ids.object_id(),
            "type": event.kind.value,
            "object": kind,
            "data": data,
            "createdAt": self._iso(self._clock.now),
        }
        self._webhooks.put(event.kind.value, _dumps(envelope))
        if event.session is not None and self._dialects.edrv.new_session_events:
            self._publish_new_event(event.session)

    def _publish_new_event(self, session: Session) -> None:
        """A session event type the docs do not list, with a partial session."""
        report = self.session_json(session)["energy_report"]
        envelope = {
            "_id": self._world.ids.object_id(),
            "type": "session.energy_report.updated",
            "object": "session",
            "data": {"_id": session.id, "energy_report": report},
            "createdAt": self._iso(self._clock.now),
        }
        self._webhooks.put("session.energy_report.updated", _dumps(envelope))

    # JSON shapes

    def _iso(self, moment: float) -> str:
        return iso(self._clock.real(moment))

    def _iso_or_none(self, moment: float | None) -> str | None:
        return None if moment is None else self._iso(moment)

    def station_json(self, station: Station) -> Json:
        """Render a chargestation with its connectors."""
        quirky = self._config.quirky(station.index)
        changes = [station.created_at, station.last_connect_at, station.last_disconnect_at or 0.0]
        changes += [c.status_since for c in station.connectors]
        return {
            "_id": station.id,
            "endpoint": station.name,
            "online": station.online,
            "active": True,
            "public": False,
            "model": MODEL,
            "protocol": "ocpp1.6",
            "bootInfo": {
                "chargePointVendor": VENDOR,
                "chargePointModel": MODEL,
                "chargePointSerialNumber": station.serial,
                "chargeBoxSerialNumber": station.serial,
                "firmwareVersion": FIRMWARE,
            },
            "connectors": [
                self._connector_json(station, c, quirky=quirky) for c in station.connectors
            ],
            "meta_data": {"notes": f"Zoë's driveway 🚗 {station.name}"},
            "lastConnectAt": self._iso(station.last_connect_at),
            "lastDisconnectAt": self._iso_or_none(station.last_disconnect_at),
            "createdAt": self._iso(station.created_at),
            "updatedAt": self._iso(max(changes)),
        }

    def session_json(self, session: Session) -> Json:
        """Render a session with its metrics, energy report and cost."""
        world = self._world
        quirky = self._config.quirky(session.seq)
        energy = world.energy_wh(session)
        power_w = world.power_now_w(session)
        started = session.started_at is not None
        register = session.meter_start_wh + energy if started else session.connector.register_wh
        return {
            "_id": session.id,
            "user": session.user_id,
            "chargestation": session.station.id,
            "connector": session.connector.id,
            "status": _status(session, quirky=quirky),
            "target": session.target,
            "metrics": {
                "chargingStart": self._iso_or_none(session.started_at),
                "chargingStop": self._iso_or_none(session.stopped_at),
                "meterStart": session.meter_start_wh,
                "timezone": TIMEZONE,
                "energyPeriod": round(world.period_s(session), 1),
                "energyConsumed": _number(energy, quirky=quirky),
            },
            "energy_report": {
                "timestamp": self._iso(session.updated_at),
                "current": {"value": _number(world.current_a(session), quirky=quirky), "unit": "A"},
                "power": (
                    {"value": _number(power_w, quirky=quirky), "unit": "W"}
                    if quirky
                    else {"value": round(power_w / 1000, 3), "unit": "kW"}
                ),
                "energy_meter": (
                    {"value": _number(register, quirky=quirky), "unit": "Wh"}
                    if quirky
                    else {"value": round(register / 1000, 3), "unit": "kWh"}
                ),
                "state_of_charge": {
                    "value": _number(world.soc(session), quirky=quirky) if started else None,
                    "unit": None if quirky else "Percent",
                },
            },
            "cost": {"amount": world.cost(session), "currency": "eur"},
            "meta_data": {"session_source": "RFID" if session.source == "local" else "API"},
            "createdAt": self._iso(session.created_at),
            "updatedAt": self._iso(session.updated_at),
        }

    def action_json(self, action: Action) -> Json:
        """Render a power-limit action."""
        body: Json = {
            "_id": action.id,
            "type": "chargestation.set_power_limit",
            "status": action.status,
            "chargestation": action.station.id,
            "connector": action.connector.id,
            "data": {"unit": action.unit, "limit": action.limit},
            "createdAt": self._iso(action.created_at),
            "updatedAt": self._iso(action.updated_at),
        }
        if action.session is not None:
            body["session"] = action.session.id
        elif not self._dialects.edrv.action_names_station:
            del body["chargestation"]  # the docs' sample: "chargestation|connector"
        return body

    def _connector_json(self, station: Station, connector: Connector, *, quirky: bool) -> Json:
        power_kw = connector.power_w / 1000
        return {
            "_id": connector.id,
            "chargestation": station.id,
            "active": True,
            "status": connector.status,
            "type": "Type2",
            "format": "CABLE" if quirky else "Socket",
            "power_type": "AC_3_PHASE",
            "power": f"{power_kw:.1f}" if quirky else power_kw,
            "createdAt": self._iso(connector.created_at),
            "updatedAt": self._iso(connector.status_since),
        }

    # Handlers

    async def _list_stations(self, request: web.Request) -> web.Response:
        stations = self._world.stations_of(Provider.EDRV)
        return self._page(request, [self.station_json(s) for s in stations])

    async def _get_station(self, request: web.Request) -> web.Response:
        station = self._world.station(Provider.EDRV, request.match_info["id"])
        if station is None:
            raise ApiError(404, "Chargestation not found")
        return _ok(self.station_json(station))

    async def _list_users(self, request: web.Request) -> web.Response:
        users = [
            {
                "_id": u.id,
                "firstname": u.firstname,
                "lastname": u.lastname,
                "email": u.email,
                "active": True,
                "createdAt": self._iso(u.created_at),
                "updatedAt": self._iso(u.created_at),
            }
            for u in self._world.users
        ]
        return self._page(request, users)

    async def _create_session(self, request: web.Request) -> web.Response:
        body = await _body(request)
        failure = self._faults.take_start_failure()
        if failure is not None:
            status, message = split_status(failure)
            raise ApiError(status or 400, message)
        connector_id, user_id = body.get("connector"), body.get("user")
        if not isinstance(connector_id, str) or not isinstance(user_id, str):
            raise ApiError(400, "connector and user are required")
        target = _target(body.get("target"))
        connector = self._world.find_connector(Provider.EDRV, connector_id)
        if connector is None:
            raise ApiError(404, "Connector not found")
        if self._world.user(user_id) is None:
            raise ApiError(404, "User not found")
        station = self._world.station_of(connector)
        if not station.online:
            raise ApiError(406, OFFLINE)
        if connector.session is not None:
            raise ApiError(400, "Connector is busy with another session")
        session = self._world.start(station, connector, user_id=user_id, target=target)
        if not self._dialects.edrv.start_result_full:
            return _ok({"_id": session.id, "status": "created"}, "Session Created")
        return _ok(self.session_json(session), "Session Created")

    async def _list_sessions(self, request: web.Request) -> web.Response:
        query = request.query
        sessions = [s for s in self._world.sessions if s.station.provider is Provider.EDRV]
        rendered = [self.session_json(s) for s in sessions]
        dialect = self._dialects.edrv
        keys = ("connector", "chargestation", "user") if dialect.connector_filter else ()
        for key in keys:
            if key in query:
                rendered = [s for s in rendered if s[key] == query[key]]
        if "status" in query and dialect.status_filter == "exact":
            rendered = [s for s in rendered if s["status"] == query["status"]]
        elif "status" in query and dialect.status_filter == "folded":
            wanted = query["status"].lower()
            rendered = [s for s in rendered if s["status"].lower() == wanted]
        return self._page(request, rendered)

    async def _get_session(self, request: web.Request) -> web.Response:
        return _ok(self.session_json(self._session(request)))

    async def _stop_session(self, request: web.Request) -> web.Response:
        session = self._session(request)
        if session.phase is not Phase.STARTED:
            raise ApiError(400, f"Session is not active (status {session.phase.value})")
        if not session.station.online:
            raise ApiError(406, OFFLINE)
        if not session.stopping:
            failure = self._faults.take_stop_failure()
            if failure is not None:
                status, message = split_status(failure)
                if status is not None:
                    raise ApiError(status, message)
            self._world.request_stop(session, fail=failure is not None)
        answer = self._dialects.edrv.stop_answer
        if answer == "empty":
            return web.Response(status=200)
        if answer == "no_result":
            body = {"ok": True, "message": "Session Stop Requested"}
            return web.json_response(body, dumps=_dumps_text)
        return _ok(self.session_json(session), "Session Stop Requested")

    async def _set_session_limit(self, request: web.Request) -> web.Response:
        session = self._session(request)
        unit, limit = _limit(await _body(request))
        if not session.active:
            raise ApiError(400, f"Session is not active (status {session.phase.value})")
        if not session.station.online:
            raise ApiError(406, OFFLINE)
        action = self._world.request_limit(session.connector, session, unit=unit, limit=limit)
        return _ok(self.action_json(action), "Session Set Power Limit Requested")

    async def _set_default_limit(self, request: web.Request) -> web.Response:
        connector = self._world.find_connector(Provider.EDRV, request.match_info["id"])
        if connector is None:
            raise ApiError(404, "Connector not found")
        unit, limit = _limit(await _body(request))
        if not self._world.station_of(connector).online:
            raise ApiError(406, OFFLINE)
        action = self._world.request_limit(connector, None, unit=unit, limit=limit)
        return _ok(self.action_json(action), "Connector Set Default Power Requested")

    # Helpers

    def _session(self, request: web.Request) -> Session:
        session = self._world.session(Provider.EDRV, request.match_info["id"])
        if session is None:
            raise ApiError(404, "Session not found")
        return session

    def _page(self, request: web.Request, items: list[Json]) -> web.Response:
        query = request.query
        base = self._dialects.edrv.page_base
        try:
            limit = int(query.get("paginate_limit", DEFAULT_PAGE_SIZE))
            page = int(query.get("paginate_page", base)) - base + 1
        except ValueError:
            raise ApiError(400, "paginate_limit and paginate_page must be integers") from None
        if limit < 1 or page < 1:
            raise ApiError(400, f"paginate_limit must be at least 1, paginate_page {base}")
        order = query.get("sort_order", "desc")
        if order not in {"asc", "desc"}:
            raise ApiError(400, "sort_order must be asc or desc")
        sort_by = query.get("sort_by", "createdAt")
        items = sorted(
            items, key=lambda item: _sort_key(item.get(sort_by)), reverse=order == "desc"
        )
        limit = min(limit, self._config.max_page_size)
        first = (page - 1) * limit
        body = {
            "ok": True,
            "message": "Found",
            "result": items[first : first + limit],
            "hasNext": first + limit < len(items),
            "hasPrevious": page > 1,
        }
        return web.json_response(body, dumps=_dumps_text)


def _ok(result: Json, message: str = "Result") -> web.Response:
    return web.json_response({"ok": True, "message": message, "result": result}, dumps=_dumps_text)


def _status(session: Session, *, quirky: bool) -> str:
    if session.phase is Phase.STARTED:
        return "started" if quirky else "Started"
    if session.phase is Phase.ENDED:
        return "ended" if quirky else "Ended"
    if session.phase is Phase.CREATED:
        return "created"
    return "cancelled"


def _number(value: float, *, quirky: bool) -> float | str:
    rounded = round(value, 1)
    return f"{rounded:.1f}" if quirky else rounded


def _sort_key(value: object) -> tuple[int, float, str]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value) if value is not None else "")


async def _body(request: web.Request) -> Json:
    try:
        body = await request.json()
    except ValueError:
        raise ApiError(400, "Body must be valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Body must be a JSON object")
    return body


def _target(value: object) -> dict[str, float]:
    if value is None:
        return {"time": DEFAULT_TIME_TARGET_MIN}
    if not isinstance(value, dict) or not set(value) <= set(_TARGET_KEYS):
        raise ApiError(400, "target may hold energy (kWh), time (min) and cost")
    target: dict[str, float] = {}
    for key, amount in value.items():
        if not isinstance(amount, int | float) or isinstance(amount, bool) or amount <= 0:
            raise ApiError(400, f"target.{key} must be a positive number")
        target[key] = float(amount)
    return target


def _limit(body: Json) -> tuple[str, float]:
    unit, limit = body.get("unit"), body.get("limit")
    if unit not in {"current", "power"}:
        raise ApiError(400, "unit must be current or power")
    if not isinstance(limit, int | float) or isinstance(limit, bool) or limit <= 0:
        raise ApiError(400, "limit must be a positive number")
    return unit, float(limit)


def _dumps_text(value: object) -> str:
    # Compact and unescaped, as a Node.js service's JSON.stringify writes it.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _dumps(value: object) -> bytes:
    return _dumps_text(value).encode()
