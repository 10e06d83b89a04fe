"""The /_sim control API: the Simulator's Python API over HTTP, for demos and browser tests.

Bodies and answers are JSON. Stations are named by provider ("edrv"/"thor") and id, connectors
by 1-based number. Wrong input is 400 {"error": "<why>"}. These requests are not counted.

    POST   /_sim/plug, /_sim/unplug    {provider, station, connector}
    POST   /_sim/online, /_sim/offline {provider, station}
    POST   /_sim/local_start           {provider, station, connector, id_tag} -> {session}
    POST   /_sim/stations              {provider, connectors?} -> {id} of a new online station
    DELETE /_sim/stations/{provider}/{station}   remove it; refused while a session runs
    GET    /_sim/faults                -> faults
    POST   /_sim/faults                {name: value, ...} merged -> faults
    GET    /_sim/counters              -> {requests, webhooks}
    DELETE /_sim/counters              zero them
    GET    /_sim/dialect               -> {edrv: name, thor: name, known: {provider: [names]}}
    POST   /_sim/dialect               {provider, name} -> the same
    POST   /_sim/webhooks              {provider, url | null}
    POST   /_sim/advance               {seconds} -> {now}
    POST   /_sim/flush                 wait for queued webhooks
    GET    /_sim/state                 -> state dump
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .clock import iso
from .dialects import dialect_names
from .errors import SimulatorError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from .app import Simulator

type _Endpoint = Callable[[web.Request], Awaitable[object]]

PREFIX = "/_sim"


class ControlApi:
    """HTTP endpoints that drive a Simulator."""

    def __init__(self, sim: Simulator) -> None:
        """Drive `sim`."""
        self._sim = sim

    def routes(self) -> list[web.RouteDef]:
        """Return the control routes."""
        p = PREFIX
        endpoints: list[tuple[str, str, _Endpoint]] = [
            ("POST", "/plug", self._plug),
            ("POST", "/unplug", self._unplug),
            ("POST", "/online", self._online),
            ("POST", "/offline", self._offline),
            ("POST", "/local_start", self._local_start),
            ("POST", "/stations", self._add_station),
            ("DELETE", "/stations/{provider}/{station}", self._remove_station),
            ("GET", "/faults", self._get_faults),
            ("POST", "/faults", self._set_faults),
            ("GET", "/counters", self._get_counters),
            ("DELETE", "/counters", self._reset_counters),
            ("GET", "/dialect", self._get_dialect),
            ("POST", "/dialect", self._set_dialect),
            ("POST", "/webhooks", self._set_webhook),
            ("POST", "/advance", self._advance),
            ("POST", "/flush", self._flush),
            ("GET", "/state", self._state),
        ]
        return [web.route(method, p + path, _json(handler)) for method, path, handler in endpoints]

    async def _plug(self, request: web.Request) -> object:
        body = await _body(request)
        self._sim.plug(_str(body, "provider"), _str(body, "station"), _int(body, "connector"))
        return {"ok": True}

    async def _unplug(self, request: web.Request) -> object:
        body = await _body(request)
        self._sim.unplug(_str(body, "provider"), _str(body, "station"), _int(body, "connector"))
        return {"ok": True}

    async def _online(self, request: web.Request) -> object:
        body = await _body(request)
        self._sim.set_online(_str(body, "provider"), _str(body, "station"), True)
        return {"ok": True}

    async def _offline(self, request: web.Request) -> object:
        body = await _body(request)
        self._sim.set_online(_str(body, "provider"), _str(body, "station"), False)
        return {"ok": True}

    async def _local_start(self, request: web.Request) -> object:
        body = await _body(request)
        session = self._sim.local_start(
            _str(body, "provider"),
            _str(body, "station"),
            _int(body, "connector"),
            _str(body, "id_tag"),
        )
        return {"session": session}

    async def _add_station(self, request: web.Request) -> object:
        body = await _body(request)
        connectors = None if body.get("connectors") is None else _int(body, "connectors")
        return {"id": self._sim.add_station(_str(body, "provider"), connectors)}

    async def _remove_station(self, request: web.Request) -> object:
        match = request.match_info
        self._sim.remove_station(match["provider"], match["station"])
        return {"ok": True}

    async def _get_faults(self, _request: web.Request) -> object:
        return self._sim.faults.as_dict()

    async def _set_faults(self, request: web.Request) -> object:
        self._sim.faults.update(await _body(request))
        return self._sim.faults.as_dict()

    async def _get_counters(self, _request: web.Request) -> object:
        return {"requests": self._sim.counters, "webhooks": self._sim.webhook_counters}

    async def _reset_counters(self, _request: web.Request) -> object:
        self._sim.reset_counters()
        return {"ok": True}

    async def _get_dialect(self, _request: web.Request) -> object:
        known = {provider: dialect_names(provider) for provider in ("edrv", "thor")}
        return {**self._sim.dialects.as_dict(), "known": known}

    async def _set_dialect(self, request: web.Request) -> object:
        body = await _body(request)
        self._sim.set_dialect(_str(body, "provider"), _str(body, "name"))
        return await self._get_dialect(request)

    async def _set_webhook(self, request: web.Request) -> object:
        body = await _body(request)
        url = body.get("url")
        if url is not None and not (
            isinstance(url, str) and url.startswith(("http://", "https://"))
        ):
            raise SimulatorError("url must be an http(s) URL or null")
        self._sim.set_webhook_url(_str(body, "provider"), url)
        return {"ok": True}

    async def _advance(self, request: web.Request) -> object:
        body = await _body(request)
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or isinstance(seconds, bool):
            raise SimulatorError("seconds must be a number")
        await self._sim.advance(seconds)
        return {"now": iso(self._sim.clock.now)}

    async def _flush(self, _request: web.Request) -> object:
        await self._sim.flush_webhooks()
        return {"ok": True}

    async def _state(self, _request: web.Request) -> object:
        return self._sim.state()


def _json(endpoint: _Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            result = await endpoint(request)
        except SimulatorError as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(result)

    return handle


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise SimulatorError("the body must be JSON") from None
    if not isinstance(body, dict):
        raise SimulatorError("the body must be a JSON object")
    return body


def _str(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value:
        raise SimulatorError(f"{key} must be a non-empty string")
    return value


def _int(body: dict[str, Any], key: str) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise SimulatorError(f"{key} must be an integer")
    return value
