"""A webhook receiver and small HTTP helpers for the simulator tests."""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

if TYPE_CHECKING:
    from simulator import Simulator


@dataclass(frozen=True)
class Hit:
    """One webhook as received: path, headers and raw body."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An aiohttp server on 127.0.0.1 that records every POST and answers `status`."""

    status: int = 200
    hits: list[Hit] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _base: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{name}", self._record)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, name: str) -> str:
        return f"{self._base}/{name}"

    def of(self, name: str) -> list[Hit]:
        return [hit for hit in self.hits if hit.path == f"/{name}"]

    def payloads(self, name: str) -> list[Any]:
        return [hit.json() for hit in self.of(name)]

    def edrv_types(self) -> list[str]:
        return [payload["type"] for payload in self.payloads("edrv")]

    def clear(self) -> None:
        self.hits.clear()

    async def _record(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.hits.append(Hit(request.path, dict(request.headers), body))
        return web.Response(status=self.status)


@dataclass
class Api:
    """Calls the simulator's two APIs with the right key."""

    http: aiohttp.ClientSession
    sim: Simulator

    async def edrv(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.sim.edrv_api_key}"}
        url = self.sim.edrv_base_url + path
        async with self.http.request(method, url, json=body, headers=headers) as response:
            return response.status, await response.json()

    async def thor(self, method: str, path: str, body: object = None) -> tuple[int, str]:
        """Return the status and the raw text; Thor bodies may be JSON, text or empty.

        Commands go to the command host, as Thor's docs send them.
        """
        headers = {"X-Api-Key": self.sim.thor_api_key}
        commands = ("/charges/start", "/charges/stop")
        base = self.sim.thor_command_base_url if path in commands else self.sim.thor_base_url
        url = base + path
        async with self.http.request(method, url, json=body, headers=headers) as response:
            return response.status, await response.text()

    async def thor_json(self, method: str, path: str, body: object = None) -> Any:
        status, text = await self.thor(method, path, body)
        assert status == 200, text
        return json.loads(text)

    async def control(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        async with self.http.request(method, f"{self.sim.url}/_sim{path}", json=body) as response:
            return response.status, await response.json()


def thor_pairs(raw: bytes) -> list[tuple[str, Any]]:
    """Parse keeping repeated keys, as a careful decoder does."""
    pairs: list[tuple[str, Any]] = json.loads(raw, object_pairs_hook=lambda items: items)
    return pairs
