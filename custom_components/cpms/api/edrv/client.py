"""Async client of the eDRV REST API v1.1."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
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
from ..observe import CloudObservations
from ..values import as_dict, as_list, folded, from_iso, optional_dict, ref_id, to_str
from .parse import EDRV_CAPABILITIES, parse_session, parse_station, parse_user
from .units import EdrvUnits

if TYPE_CHECKING:
    import aiohttp

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.edrv.io/v1.1"
PAGE_SIZE = 100
MAX_PAGES = 50
# No session stays active this long (eDRV's default time target is 12 hours), so listing
# sessions newest first can stop here whether or not the status filter is honoured.
ACTIVE_HORIZON = timedelta(days=2)
# The samples write "Started", the timeline "started"; "created" is lowercase in both. The
# running spellings come first, so the running session wins over a pending one.
_ACTIVE_SPELLINGS = ("Started", "started", "created")
_FOLDED_SPELLINGS = ("started", "created")
_ACTIVE = frozenset({SessionStatus.CREATED, SessionStatus.STARTED})
FACT_PAGE_BASE = "eDRV first page number"
FACT_STATUS_FILTER = "eDRV status filter"
FACT_CONNECTOR_FILTER = "eDRV connector filter"
FACT_STOP_ANSWER = "eDRV stop answer"
FACT_START_ANSWER = "eDRV start answer"


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
        observations: CloudObservations | None = None,
    ) -> None:
        """Use `session` (owned by the caller); `user_id` is needed to start sessions."""
        self.user_id = user_id
        self.observations = observations or CloudObservations()
        # Shared with the webhook decoder, which reads the same sessions.
        self.units = EdrvUnits(self.observations)
        self._page_base: int | None = None
        self._status_filter: str | None = None
        self._http = HttpTransport(
            session,
            name="eDRV",
            base_url=base_url,
            headers={"Authorization": f"Bearer {api_key}", "Accept": "application/json"},
            error_mapper=_map_error,
            timeout_s=timeout_s,
            retry=retry,
            sleep=sleep,
            observations=self.observations,
        )

    async def async_get_stations(self) -> list[Station]:
        """List every chargestation with its embedded connectors."""
        items = await self._get_list("chargestations", sort_order="asc")
        return [self._station(item) for item in items]

    async def async_get_station(self, station_id: str) -> Station:
        """Fetch one chargestation; CpmsNotFoundError when unknown."""
        path = f"chargestations/{path_segment(station_id)}"
        return self._station(await self._call("GET", path, retry=True))

    def _station(self, data: object) -> Station:
        station = parse_station(data)
        self.units.learn_station(station.id, optional_dict(data).get("protocol"))
        return station

    async def async_get_users(self) -> list[User]:
        """List the users sessions can be started for."""
        return [parse_user(item) for item in await self._get_list("users", sort_order="asc")]

    async def async_get_active_sessions(self) -> list[Session]:
        """List the created and started sessions of the organisation."""
        return await self._active_sessions({})

    async def async_find_active_session(self, connector: Connector) -> Session | None:
        """Return the session holding `connector`, preferring a started one to a created one."""
        sessions = await self._active_sessions({"connector": connector.id})
        if any(s.connector_id != connector.id for s in sessions):
            self.observations.note(FACT_CONNECTOR_FILTER, "ignored")
        return next((s for s in sessions if s.connector_id == connector.id), None)

    async def async_get_session(self, session: Session) -> Session | None:
        """Fetch the session's current state; None when eDRV no longer knows it."""
        try:
            data = await self._call("GET", _session_path(session), retry=True)
        except CpmsNotFoundError:
            return None
        return parse_session(data, self.units)

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
        result = await self._call("POST", "sessions", json_body=body)
        named = optional_dict(result)
        fields = {"chargestation", "connector"} - named.keys()
        self.observations.note(
            FACT_START_ANSWER,
            f"session without {' and '.join(sorted(fields))}" if fields else "full session",
        )
        if not to_str(named.get("_id")):
            raise CpmsResponseError("eDRV started a session but did not say its id")
        # The start happened: fields the answer left out are the ones asked for.
        return parse_session(result, self.units, connector=connector)

    async def async_stop_session(self, session: Session, connector: Connector) -> None:
        """Request a stop; the result comes as session.ended or session.stop_failure.

        The docs say only that a successful response means eDRV will try to stop, so any
        2xx that is not `ok: false` is a stop requested, with or without a body or result.
        """
        # A GET by eDRV's design, but a command all the same: never retried.
        response = await self._http.request("GET", f"{_session_path(session)}/stop")
        if not response.body.strip():
            self.observations.note(FACT_STOP_ANSWER, "empty")
            return
        try:
            body = _envelope(response, need_result=False)
        except CpmsResponseError:
            self.observations.note(FACT_STOP_ANSWER, "not an envelope")
            return
        self.observations.note(
            FACT_STOP_ANSWER, "envelope with result" if "result" in body else "envelope, no result"
        )

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
        """Ask for each active status; detect an ignored or case-sensitive status filter.

        The filter names are undocumented for v1.1, so every answer is checked here too; an
        ignored filter lists every session, and listing stops at ACTIVE_HORIZON.
        """
        if self._page_base is None:
            # Session lists are often empty, and an empty list cannot tell where pages start:
            # the stations can (a one-item page each of 1 and 0).
            first, _ = await self._page("chargestations", None, 1, "asc", limit=1)
            await self._learn_page_base("chargestations", None, "asc", first, limit=1)
        found: dict[str, Session] = {}
        if self._status_filter == "ignored":
            queries: tuple[str | None, ...] = (None,)
        elif self._status_filter == "any case":
            queries = _FOLDED_SPELLINGS
        else:
            queries = _ACTIVE_SPELLINGS
        hits: dict[str, list[str]] = {}
        for spelling in queries:
            query = dict(filters) if spelling is None else {**filters, "status": spelling}
            items = await self._get_list(
                "sessions", query, sort_order="desc", within=ACTIVE_HORIZON
            )
            statuses = [to_str(optional_dict(item).get("status")) or "" for item in items]
            for item in items:
                session = parse_session(item, self.units)
                if session.status in _ACTIVE:
                    found.setdefault(session.id, session)
            if spelling is None:
                continue
            hits[spelling] = statuses
            if any(folded(status) != spelling.lower() for status in statuses):
                # The answer holds other statuses: it is the whole list, so one query is enough.
                self._learn_status_filter("ignored")
                break
        self._learn_from(hits)
        return list(found.values())

    def _learn_from(self, hits: dict[str, list[str]]) -> None:
        """Tell a filter that ignores case from one that matches the stored spelling exactly."""
        for spelling, statuses in hits.items():
            if any(status != spelling for status in statuses):
                self._learn_status_filter("any case")
                return
        if any(statuses for statuses in hits.values()):
            self._learn_status_filter("exact case")

    def _learn_status_filter(self, behaviour: str) -> None:
        # Evidence only adds up: an ignored filter stays ignored, any case never turns exact.
        if self._status_filter == "ignored" or (
            self._status_filter == "any case" and behaviour == "exact case"
        ):
            return
        self._status_filter = behaviour
        self.observations.note(FACT_STATUS_FILTER, behaviour)

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
        self,
        path: str,
        filters: dict[str, str] | None = None,
        *,
        sort_order: str,
        within: timedelta | None = None,
    ) -> list[object]:
        """Read every page of a list by creation time, up to MAX_PAGES pages.

        With `within` (newest first), paging stops at the first page that reaches items older
        than that before now, or before the newest item if the cloud's clock runs ahead. The
        first list read learns whether pages count from 1 or from 0.
        """
        items: dict[object, object] = {}
        cutoff: datetime | None = None
        base = self._page_base
        page = 1 if base is None else base
        for _ in range(MAX_PAGES):
            result, more = await self._page(path, filters, page, sort_order)
            if base is None:
                base = await self._learn_page_base(path, filters, sort_order, result)
                if base == 0:
                    # Page 1 was the second page: read the first, then go on after page 1.
                    first, _ = await self._page(path, filters, 0, sort_order)
                    result = first + result
            for item in result:
                # Items can shift between pages while paging; keep each once.
                items.setdefault(ref_id(item) or id(item), item)
            if within is not None and cutoff is None and result:
                newest = _created(result[0]) or datetime.now(UTC)
                cutoff = max(datetime.now(UTC), newest) - within
            if not more or not result or _older(result[-1], cutoff):
                return list(items.values())
            page += 1
        _LOGGER.warning("eDRV %s has more than %d pages; the rest is ignored", path, MAX_PAGES)
        return list(items.values())

    async def _page(
        self,
        path: str,
        filters: dict[str, str] | None,
        page: int,
        sort_order: str,
        *,
        limit: int | None = None,
    ) -> tuple[list[object], bool]:
        limit = limit or PAGE_SIZE
        params = {
            **(filters or {}),
            "paginate_limit": str(limit),
            "paginate_page": str(page),
            "sort_by": "createdAt",
            "sort_order": sort_order,
        }
        body = _envelope(await self._http.request("GET", path, params=params, retry=True))
        result = as_list(body["result"], f"eDRV {path} result")
        has_next = body.get("hasNext")
        return result, has_next if isinstance(has_next, bool) else len(result) >= limit

    async def _learn_page_base(
        self,
        path: str,
        filters: dict[str, str] | None,
        sort_order: str,
        page_1: list[object],
        *,
        limit: int | None = None,
    ) -> int | None:
        """Ask page 0 once: refused, empty or the same as page 1 means pages count from 1.

        A 0-based API answers page 0 with items page 1 does not hold. The docs of v1.1 do not
        say; a wrong guess would read the second page as the first, or an empty list.
        """
        try:
            page_0, _ = await self._page(path, filters, 0, sort_order, limit=limit)
        except CpmsRejectedError:
            page_0 = []
        if not (page_0 or page_1):
            # An empty page 1 is what a short list looks like when pages count from 0: only
            # items tell, so a later list read asks again.
            return None
        ids_0 = {ref_id(item) for item in page_0}
        self._page_base = 0 if ids_0 and ids_0 != {ref_id(item) for item in page_1} else 1
        self.observations.note(FACT_PAGE_BASE, str(self._page_base))
        return self._page_base


def _created(item: object) -> datetime | None:
    return from_iso(optional_dict(item).get("createdAt"))


def _older(item: object, limit: datetime | None) -> bool:
    created = _created(item)
    return limit is not None and created is not None and created < limit


def _session_path(session: Session) -> str:
    return f"sessions/{path_segment(session.ref.edrv_session_id or session.id)}"


def _envelope(response: Response, *, need_result: bool = True) -> dict[str, object]:
    """Unwrap {ok, message, result}; ok:false is an error even with HTTP 2xx."""
    body = as_dict(response.json(), "eDRV response")
    if body.get("ok") is False:
        message = to_str(body.get("message")) or "request failed"
        raise CpmsRejectedError(message, message)
    if need_result and "result" not in body:
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
