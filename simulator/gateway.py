"""What stands in front of both APIs: request counting, injected faults and API-key checks."""

from __future__ import annotations

import asyncio
from http import HTTPStatus
import logging
import random
from typing import TYPE_CHECKING, ClassVar, Protocol

from aiohttp import web

from .faults import split_status

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from aiohttp.typedefs import Handler, Middleware

    from .counters import Counters
    from .faults import Faults
    from .world import Provider

_LOGGER = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal that the provider renders in its own error format."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the HTTP status and the provider's message or code."""
        super().__init__(message)
        self.status = status
        self.message = message


class ProviderApi(Protocol):
    """One cloud's API, as the gateway needs to see it."""

    provider: Provider
    # Path prefix -> the name counters use: one per host the cloud answers on.
    hosts: ClassVar[Mapping[str, str]]

    def check_key(self, request: web.Request, *, revoked: bool) -> None:
        """Raise ApiError unless the request carries the valid API key."""

    def error(self, status: int, message: str) -> web.Response:
        """Render an error the way this cloud does."""

    def rate_limited(self, retry_after_s: int) -> web.Response:
        """Render this cloud's 429."""

    def server_error(self) -> web.Response:
        """Render this cloud's 500."""


def gateway(
    apis: Sequence[ProviderApi], faults: Faults, counters: Counters, seed: int
) -> Middleware:
    """Return the middleware that counts, faults, authenticates and renders ApiError."""
    # Seeded so that a run with an error rate fails the same requests every time.
    rng = random.Random(f"{seed}:faults")  # noqa: S311

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        found = next(
            (
                (api, prefix, host)
                for api in apis
                for prefix, host in api.hosts.items()
                if request.path.startswith(prefix + "/")
            ),
            None,
        )
        if found is None:
            return await handler(request)
        api, prefix, host = found
        counters.count_request(f"{host} {request.method} {_route(request, prefix)}")
        if faults.latency_s > 0:
            await asyncio.sleep(faults.latency_s)
        try:
            response = await _serve(request, handler, api, faults, rng)
        except ApiError as err:
            response = api.error(err.status, err.message)
        _LOGGER.info("%s %s %s -> %d", api.provider, request.method, request.path, response.status)
        return response

    return middleware


async def _serve(
    request: web.Request,
    handler: Handler,
    api: ProviderApi,
    faults: Faults,
    rng: random.Random,
) -> web.StreamResponse:
    if faults.rate_limit_next > 0:
        faults.rate_limit_next -= 1
        return api.rate_limited(faults.retry_after_s)
    if faults.error_rate_5xx > 0 and rng.random() < faults.error_rate_5xx:
        return api.server_error()
    if faults.refuse_requests:
        status, message = split_status(faults.refuse_requests)
        raise ApiError(status or HTTPStatus.BAD_REQUEST, message)
    api.check_key(request, revoked=faults.key_revoked)
    unmatched = request.match_info.http_exception
    if unmatched is not None:
        return api.error(unmatched.status, HTTPStatus(unmatched.status).phrase)
    return await handler(request)


def _route(request: web.Request, prefix: str) -> str:
    """Return the route template below the prefix ("/sessions/{id}"), or the path if unmatched."""
    resource = request.match_info.route.resource
    template = resource.canonical if resource is not None else request.path
    return template.removeprefix(prefix)
