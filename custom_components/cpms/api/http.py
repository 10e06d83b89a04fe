"""Shared HTTP plumbing: timeouts, error mapping and bounded retries for reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import json
import logging
from urllib.parse import quote

import aiohttp

from .errors import (
    CpmsConnectionError,
    CpmsError,
    CpmsRateLimitError,
    CpmsResponseError,
    CpmsServerError,
    CpmsUnreachableError,
)
from .observe import CloudObservations
from .values import to_float

_LOGGER = logging.getLogger(__name__)

type Sleep = Callable[[float], Awaitable[None]]
type JsonBody = Mapping[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently a read is retried; commands are never retried."""

    attempts: int = 3
    backoff_s: float = 1.0
    max_delay_s: float = 30.0

    def delay(self, retry: int) -> float:
        """Return the pause before the given retry (1-based): doubling, capped."""
        return min(self.backoff_s * 2.0 ** (retry - 1), self.max_delay_s)


@dataclass(frozen=True, slots=True)
class Response:
    """A finished HTTP exchange, body fully read."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """Return the body as text, tolerating bad UTF-8 (it only feeds error messages)."""
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> object:
        """Return the decoded JSON body or raise CpmsResponseError."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError) as err:
            raise CpmsResponseError(f"response is not JSON (HTTP {self.status})") from err


DEFAULT_RETRY = RetryPolicy()

type ErrorMapper = Callable[[Response], CpmsError]


def path_segment(value: str) -> str:
    """Quote an id for use as one URL path segment."""
    return quote(value, safe="")


def retry_after_s(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Read Retry-After as delta seconds or as an HTTP date."""
    raw = headers.get("Retry-After")
    if raw is None:
        return None
    seconds = to_float(raw)
    if seconds is not None:
        return max(seconds, 0.0)
    try:
        when = parsedate_to_datetime(raw)
    except TypeError, ValueError:
        return None
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


class HttpTransport:
    """Sends requests for one provider account and maps failures to CpmsError."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        name: str,
        base_url: str,
        headers: Mapping[str, str],
        error_mapper: ErrorMapper,
        timeout_s: float,
        retry: RetryPolicy,
        sleep: Sleep,
        observations: CloudObservations,
    ) -> None:
        """Keep the injected session; it is owned (and closed) by the caller."""
        self._observations = observations
        self._session = session
        self._name = name
        self._base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self._error_mapper = error_mapper
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._retry = retry
        self._sleep = sleep

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: JsonBody | None = None,
        retry: bool = False,
        base_url: str | None = None,
    ) -> Response:
        """Send once, or for a read (`retry=True`) up to the policy's attempts.

        `base_url` sends this request to another host of the same cloud (Thor's command host).
        """
        attempts = max(self._retry.attempts, 1) if retry else 1
        attempt = 1
        while True:
            try:
                return await self._send_once(method, path, params, json_body, base_url)
            except (CpmsConnectionError, CpmsRateLimitError) as err:
                if attempt >= attempts:
                    raise
                delay = self._retry.delay(attempt)
                if isinstance(err, CpmsRateLimitError) and err.retry_after is not None:
                    if err.retry_after > self._retry.max_delay_s:
                        raise  # waiting less than asked would only earn another 429
                    delay = err.retry_after
                _LOGGER.debug(
                    "%s %s %s failed (%s), retry %d in %.1f s",
                    self._name,
                    method,
                    path,
                    type(err).__name__,
                    attempt,
                    delay,
                )
                await self._sleep(delay)
                attempt += 1

    async def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json_body: JsonBody | None,
        base_url: str | None,
    ) -> Response:
        url = f"{(base_url or self._base_url).rstrip('/')}/{path.lstrip('/')}"
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=self._headers,
                timeout=self._timeout,
                allow_redirects=False,  # a redirect could carry the key to another host
            ) as raw:
                response = Response(raw.status, raw.reason or "", raw.headers, await raw.read())
        except TimeoutError as err:
            raise CpmsConnectionError(f"{self._name} timed out") from err
        except aiohttp.ClientConnectorError as err:
            # Nothing was sent, so even a command may go elsewhere.
            raise CpmsUnreachableError(f"cannot connect to {self._name}: {err}") from err
        except aiohttp.ClientError as err:
            # The error text names host and cause only; headers (the key) are never in it.
            raise CpmsConnectionError(f"cannot connect to {self._name}: {err}") from err
        self._observations.record_answer(method, path, response.status, response.body)
        if 200 <= response.status < 300:
            return response
        if response.status >= 500:
            raise CpmsServerError(f"{self._name} failed (HTTP {response.status})")
        if response.status == 429:
            raise CpmsRateLimitError(
                f"{self._name} rate limit reached", retry_after=retry_after_s(response.headers)
            )
        raise self._error_mapper(response)
