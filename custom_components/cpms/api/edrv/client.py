"""Async client of the eDRV REST API v1.1."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from ..errors import (
    CpmsAuthenticationError,
    CpmsError,
    CpmsNotFoundError,
    CpmsRejectedError,
    CpmsResponseError,
    CpmsStationOfflineError,
)
from ..http import (
    DEFAULT_RETRY,
    HttpTransport,
    JsonBody,
    Response,
    RetryPolicy,
    Sleep,
    path_segment,
)
from ..models import Connector, Provider, Session, SessionStatus, Station, User
from ..values import as_dict, as_list, ref_id, to_str
from .parse import EDRV_CAPABILITIES, parse_session, parse_station, parse_user

if TYPE_CHECKING:
    import aiohttp

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.edrv.io/v1.1"
PAGE_SIZE = 100
MAX_PAGES = 50
# Queried one by one, "started" first, so the running session wins over a pending one.
_ACTIVE_STATUSES = ("started", "created")


class EdrvClient:
    """An eDRV organisation, reached with an API key sent as a Bearer token."""

    provider = Provider.EDRV
    capabilities = EDRV_CAPABILITIES

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        user_id: str | None = None,
        timeout_s: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Use `session` (owned by the caller); `user_id` is needed to start sessions."""
        self.user_id = user_id
        self._http = HttpTransport(
            session,
            name="eDRV",
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            error_mapper=_map_error,
            timeout_s=timeout_s,
            retry=retry,
            sleep=sleep,
        )

    async def async_get_stations(self) -> list[Station]:
        """List every chargestation with its embedded connectors."""
        items = await self._get_list("chargestations", sort_order="asc")
        return [parse_station(item) for item in items]

    async def async_get_station(self, station_id: str) -> Station:
        """Fetch one chargestation; CpmsNotFoundError when unknown."""
        path = f"chargestations/{path_segment(station_id)}"
        return parse_station(await self._call("GET", path, retry=True))

    async def async_get_users(self) -> list[User]:
        """List the users sessions can be started for."""
        return [parse_user(item) for item in await self._get_list("users", sort_order="asc")]

    async def async_get_active_sessions(self) -> list[Session]:
        """List the created and started sessions of the organisation."""
        return await self._active_sessions({})

    async def async_find_active_session(self, connector: Connector) -> Session | None:
        """Return the session holding `connector`, preferring a started one to a created one."""
        sessions = await self._active_sessions({"connector": connector.id})
        return next((s for s in sessions if s.connector_id == connector.id), None)

    async def async_get_session(self, session: Session) -> Session | None:
        """Fetch the session's current state; None when eDRV no longer knows it."""
        try:
            data = await self._call("GET", _session_path(session), retry=True)
        except CpmsNotFoundError:
            return None
        return parse_session(data)

    async def async_start_session(
        self,
        connector: Connector,
        *,
        energy_kwh: float | None = None,
        time_min: float | None = None,
        cost: float | None = None,
    ) -> Session:
        """Create a session (a remote start); the optional targets make eDRV stop by itself.

        Never retried: every POST /sessions is a new start attempt.
        """
        if self.user_id is None:
            raise ValueError("an eDRV user id is needed to start a session")
        body: dict[str, object] = {"connector": connector.id, "user": self.user_id}
        target = {
            key: value
            for key, value in (("energy", energy_kwh), ("time", time_min), ("cost", cost))
            if value is not None
        }
        if target:
            body["target"] = target
        return parse_session(await self._call("POST", "sessions", json_body=body))

    async def async_stop_session(self, session: Session, connector: Connector) -> None:
        """Request a stop; the result comes as session.ended or session.stop_failure."""
        # A GET by eDRV's design, but a command all the same: never retried.
        await self._call("GET", f"{_session_path(session)}/stop")

    async def async_set_current_limit(
        self, connector: Connector, session: Session | None, amps: float
    ) -> None:
        """Limit the current of the running session, or the connector's default without one.

        The station's answer comes as a set_power_limit accepted/rejected webhook.
        """
        if session is not None:
            path = f"{_session_path(session)}/set_power_limit"
        else:
            path = f"connectors/{path_segment(connector.id)}/set_default_power_limit"
        await self._call("POST", path, json_body={"unit": "current", "limit": amps})

    async def _active_sessions(self, filters: dict[str, str]) -> list[Session]:
        # The filter names are a guess, so the results are checked here too.
        found: dict[str, Session] = {}
        for status in _ACTIVE_STATUSES:
            query = {**filters, "status": status}
            for item in await self._get_list("sessions", query, sort_order="desc"):
                session = parse_session(item)
                if session.status in {SessionStatus.CREATED, SessionStatus.STARTED}:
                    found.setdefault(session.id, session)
        return list(found.values())

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: JsonBody | None = None,
        retry: bool = False,
    ) -> object:
        response = await self._http.request(method, path, json_body=json_body, retry=retry)
        return _envelope(response)["result"]

    async def _get_list(
        self, path: str, filters: dict[str, str] | None = None, *, sort_order: str
    ) -> list[object]:
        """Read every page of a list by creation time, up to MAX_PAGES pages."""
        items: dict[object, object] = {}
        for page in range(1, MAX_PAGES + 1):
            params = {
                **(filters or {}),
                "paginate_limit": str(PAGE_SIZE),
                "paginate_page": str(page),
                "sort_by": "createdAt",
                "sort_order": sort_order,
            }
            body = _envelope(await self._http.request("GET", path, params=params, retry=True))
            result = as_list(body["result"], f"eDRV {path} result")
            for item in result:
                # Items can shift between pages while paging; keep each once.
                items.setdefault(ref_id(item) or id(item), item)
            has_next = body.get("hasNext")
            more = has_next if isinstance(has_next, bool) else len(result) >= PAGE_SIZE
            if not more or not result:
                return list(items.values())
        _LOGGER.warning("eDRV %s has more than %d pages; the rest is ignored", path, MAX_PAGES)
        return list(items.values())


def _session_path(session: Session) -> str:
    return f"sessions/{path_segment(session.ref.edrv_session_id or session.id)}"


def _envelope(response: Response) -> dict[str, object]:
    """Unwrap {ok, message, result}; ok:false is an error even with HTTP 2xx."""
    body = as_dict(response.json(), "eDRV response")
    if body.get("ok") is False:
        message = to_str(body.get("message")) or "request failed"
        raise CpmsRejectedError(message, message)
    if "result" not in body:
        raise CpmsResponseError("eDRV response has no result")
    return body


def _map_error(response: Response) -> CpmsError:
    """Map a non-2xx answer (other than 429 and 5xx) to the error it means."""
    message = _error_message(response)
    if response.status in {401, 403}:
        return CpmsAuthenticationError(
            f"eDRV refused the API key: {message}", code=message or response.reason
        )
    if response.status == 406:
        return CpmsStationOfflineError(message or "chargestation is offline")
    if response.status == 404:
        return CpmsNotFoundError(message or "not found")
    if 400 <= response.status < 500:
        return CpmsRejectedError(response.reason or message or str(response.status), message)
    return CpmsResponseError(f"unexpected HTTP {response.status} from eDRV")


def _error_message(response: Response) -> str:
    try:
        body = response.json()
    except CpmsResponseError:
        return response.text.strip()[:200]
    if isinstance(body, dict):
        return to_str(body.get("message")) or ""
    return response.text.strip()[:200]
