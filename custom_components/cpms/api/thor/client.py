"""Async client of the Thor (thor.tools) REST integration API."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
import re
from typing import TYPE_CHECKING

from ..errors import (
    CpmsAccessDeniedError,
    CpmsAuthenticationError,
    CpmsError,
    CpmsNotFoundError,
    CpmsRateLimitError,
    CpmsRejectedError,
    CpmsResponseError,
    CpmsServerError,
    CpmsUnreachableError,
)
from ..http import DEFAULT_RETRY, HttpTransport, Response, RetryPolicy, Sleep, path_segment
from ..models import Connector, Provider, Session, SessionRef, SessionStatus, Station
from ..observe import CloudObservations
from ..values import as_dict, as_list, require_str
from .parse import THOR_CAPABILITIES, parse_charge, parse_chargebox

if TYPE_CHECKING:
    import aiohttp

DEFAULT_BASE_URL = "https://api.thor.tools/latest/integration"
# The start and stop pages (and the seed of the stop page) send commands to this host.
DEFAULT_COMMAND_URL = "https://dev.api.thor.tools/latest/integration"
FACT_COMMAND_HOST = "Thor host accepting commands"

_KEY_CODE = "APIKeyNotFound"
# The key is right but the dashboard refuses this caller: a new key would not help.
_ACCESS_CODES = {
    "RestAPINotEnabled": "the REST API integration is disabled in the Thor dashboard",
    "InvalidSourceIPAddr": "Thor accepts this key only from another IP address",
}
_AUTH_CODES = frozenset({_KEY_CODE, *_ACCESS_CODES})
_REJECTED_CODES = {
    "ChargeboxNotActive": "the chargebox is not active in the Thor dashboard",
    "ConnectorNotValid": "the chargebox has no such connector",
    "AlreadyInTransaction": "a charge is already running on the connector",
    "NotInTransaction": "no charge is running on the connector",
    "WrongTransaction": "the id_tag or transaction does not match the running charge",
    "ChargeboxNotFree": "API starts need the Free payment type on the chargebox",
    "BoundsTooBig": "the map area is too large",
}
_NOT_FOUND_CODE = "ChargeboxNotFound"
_RATE_LIMIT_CODE = "TooManyRequests"
_SERVER_ERROR_CODE = "InternalServerError"
_CODE_PATTERN = re.compile(
    r"\b("
    + "|".join(
        [*_AUTH_CODES, *_REJECTED_CODES, _NOT_FOUND_CODE, _RATE_LIMIT_CODE, _SERVER_ERROR_CODE]
    )
    + r")\b"
)
# Finished charges are listed by local calendar day; a day either side absorbs time zones.
_DAY_MARGIN = timedelta(days=1)


class ThorClient:
    """A Thor account, reached with the key from the dashboard's Development page."""

    provider = Provider.THOR
    capabilities = THOR_CAPABILITIES

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        command_url: str | None = None,
        on_command_url: Callable[[str], None] | None = None,
        timeout_s: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Sleep = asyncio.sleep,
        observations: CloudObservations | None = None,
    ) -> None:
        """Use `session` (owned by the caller).

        Reads go to `base_url`. Commands go to `command_url`: by default the host Thor's
        start and stop pages name when reading from the documented host, else `base_url`.
        If that host refuses the key (or cannot be reached), the command is sent once to
        the other host; the one that takes it is kept and passed to `on_command_url`, so
        that it can be remembered.
        """
        self._base_url = base_url.rstrip("/")
        if command_url is None:
            command_url = DEFAULT_COMMAND_URL if self._base_url == DEFAULT_BASE_URL else base_url
        self.command_url = command_url.rstrip("/")
        self._on_command_url = on_command_url
        self.observations = observations or CloudObservations()
        self._http = HttpTransport(
            session,
            name="Thor",
            base_url=base_url,
            headers={"X-Api-Key": api_key, "Accept": "application/json"},
            error_mapper=_map_error,
            timeout_s=timeout_s,
            retry=retry,
            sleep=sleep,
            observations=self.observations,
        )

    async def async_get_stations(self) -> list[Station]:
        """List the active chargeboxes; connectors show CHARGING when occupied."""
        data = await self._get_json("chargeboxes", {"onlyactive": "true"})
        return [parse_chargebox(item) for item in as_list(data, "chargeboxes")]

    async def async_get_station(self, station_id: str) -> Station:
        """Fetch one chargebox; CpmsNotFoundError when unknown."""
        return parse_chargebox(await self._get_json(f"chargeboxes/{path_segment(station_id)}"))

    async def async_get_running_charges(self, chargebox: str | None = None) -> list[Session]:
        """List running charges (STARTED), of one chargebox or all."""
        params = {"chargebox": chargebox} if chargebox else {}
        return await self._charges("charges/running", params, SessionStatus.STARTED)

    async def async_get_finished_charges(
        self, from_date: date, to_date: date, chargebox: str | None = None
    ) -> list[Session]:
        """List charges (ENDED) finished between two days, both included."""
        params = {"from": f"{from_date:%Y%m%d}", "to": f"{to_date:%Y%m%d}"}
        if chargebox:
            params["chargebox"] = chargebox
        return await self._charges("charges/finished", params, SessionStatus.ENDED)

    async def async_get_active_sessions(self) -> list[Session]:
        """List the running charges; API-started ones carry no id_tag."""
        return await self.async_get_running_charges()

    async def async_get_session(self, session: Session) -> Session | None:
        """Find the session among running, then finished charges; None when in neither.

        Thor has no lookup by id. A charge matches on its connector and its
        transaction, or without one on its id_tag; a running charge without
        id_tag (an API start) on the connector is taken as the session. A
        requested start not yet running also gives None.
        """
        running = await self.async_get_running_charges(session.station_id)
        if found := _find(running, session, untagged_ok=True):
            return found
        today = datetime.now(UTC).date()
        start = session.started_at.date() if session.started_at else today
        finished = await self.async_get_finished_charges(
            start - _DAY_MARGIN, today + _DAY_MARGIN, session.station_id
        )
        return _find(finished, session, untagged_ok=False)

    async def async_start_session(self, connector: Connector) -> Session:
        """Request a start; the transaction comes later in the start notification.

        Never retried: a repeat would start twice.
        """
        body = {"chargebox": connector.station_id, "connector": connector.number}
        response = await self._command("charges/start", body)
        id_tag = require_str(as_dict(response.json(), "start").get("id_tag"), "id_tag")
        return Session(
            id=id_tag,
            station_id=connector.station_id,
            connector_id=connector.id,
            status=SessionStatus.REQUESTED,
            ref=SessionRef(thor_id_tag=id_tag),
        )

    async def async_stop_session(self, session: Session, connector: Connector) -> None:
        """Request a stop; a session without id_tag takes it from the running charge.

        A charge started through the API by someone else lists no id_tag and
        cannot be stopped here (CpmsRejectedError "IdTagUnknown").
        """
        id_tag = session.ref.thor_id_tag
        transaction = session.ref.thor_transaction
        if id_tag is None:
            running = await self.async_get_running_charges(connector.station_id)
            charge = next((c for c in running if c.connector_id == connector.id), None)
            if charge is None:
                raise CpmsRejectedError("NotInTransaction", _REJECTED_CODES["NotInTransaction"])
            if charge.ref.thor_id_tag is None:
                raise CpmsRejectedError(
                    "IdTagUnknown", "the charge was started through the API by another client"
                )
            id_tag = charge.ref.thor_id_tag
            transaction = charge.ref.thor_transaction
        body: dict[str, object] = {
            "chargebox": connector.station_id,
            "connector": connector.number,
            "id_tag": id_tag,
        }
        if transaction:
            body["transaction"] = transaction
        await self._command("charges/stop", body)

    async def _command(self, path: str, body: dict[str, object]) -> Response:
        """Send a command to the command host, falling back once to the other host.

        Only refusals that prove nothing happened move on: the key unknown there, or no
        connection at all. A key refused everywhere is a
        CpmsAccessDeniedError if reads still work with it (one read checks), since a
        re-authentication would then succeed and loop; if reads fail too, the key is bad.
        """
        hosts = [self.command_url]
        if self._base_url != self.command_url:
            hosts.append(self._base_url)
        failures: list[CpmsError] = []
        for host in hosts:
            try:
                response = await self._http.request("POST", path, json_body=body, base_url=host)
            except (CpmsAuthenticationError, CpmsUnreachableError) as err:
                if isinstance(err, CpmsAuthenticationError) and err.code != _KEY_CODE:
                    raise
                failures.append(err)
                continue
            self.observations.note(FACT_COMMAND_HOST, host)
            if host != self.command_url:
                self.command_url = host
                if self._on_command_url is not None:
                    self._on_command_url(host)
            return response
        if all(isinstance(err, CpmsUnreachableError) for err in failures):
            raise failures[-1]
        # A key that reads fine is not the problem; one refused for reads too is (a reauth).
        await self._get_json("chargeboxes", {"onlyactive": "true"})
        raise CpmsAccessDeniedError(
            f"Thor refused commands with this key at {' and '.join(hosts)}", code=_KEY_CODE
        )

    async def _charges(
        self, path: str, params: dict[str, str], status: SessionStatus
    ) -> list[Session]:
        data = as_dict(await self._get_json(path, params), path)
        return [parse_charge(item, status) for item in as_list(data.get("items"), f"{path} items")]

    async def _get_json(self, path: str, params: dict[str, str] | None = None) -> object:
        response = await self._http.request("GET", path, params=params, retry=True)
        return response.json()


def _find(charges: list[Session], session: Session, *, untagged_ok: bool) -> Session | None:
    """Return the charge that is `session`, keeping the ids only the session knew."""
    for charge in charges:
        if charge.connector_id != session.connector_id:
            continue
        if session.ref.thor_transaction:
            matches = charge.ref.thor_transaction == session.ref.thor_transaction
        elif charge.ref.thor_id_tag is not None:
            matches = charge.ref.thor_id_tag == session.ref.thor_id_tag
        else:
            matches = untagged_ok
        if matches:
            # Running charges list no id_tag for API starts; the stop still needs it.
            id_tag = charge.ref.thor_id_tag or session.ref.thor_id_tag
            return replace(charge, ref=replace(charge.ref, thor_id_tag=id_tag))
    return None


def _map_error(response: Response) -> CpmsError:
    """Map a non-2xx answer by the code found in its opaque body, else by its status."""
    found = _CODE_PATTERN.search(response.text)
    if found is None:
        return _map_status(response)
    code = found.group(1)
    if code in _ACCESS_CODES:
        return CpmsAccessDeniedError(f"Thor: {_ACCESS_CODES[code]} ({code})", code=code)
    if code in _REJECTED_CODES:
        return CpmsRejectedError(code, _REJECTED_CODES[code])
    return _CODE_ERRORS[code]()


_CODE_ERRORS: dict[str, Callable[[], CpmsError]] = {
    _KEY_CODE: lambda: CpmsAuthenticationError(
        f"Thor refused the API key ({_KEY_CODE})", code=_KEY_CODE
    ),
    _NOT_FOUND_CODE: lambda: CpmsNotFoundError(f"Thor: {_NOT_FOUND_CODE}"),
    _RATE_LIMIT_CODE: lambda: CpmsRateLimitError("Thor rate limit reached"),
    _SERVER_ERROR_CODE: lambda: CpmsServerError("Thor failed to answer (InternalServerError)"),
}


def _map_status(response: Response) -> CpmsError:
    if response.status in {401, 403}:
        return CpmsAuthenticationError(f"Thor refused the API key (HTTP {response.status})")
    if response.status == 404:
        return CpmsNotFoundError("Thor: not found")
    if 400 <= response.status < 500:
        return CpmsRejectedError(response.reason or str(response.status), response.text[:200])
    return CpmsResponseError(f"unexpected HTTP {response.status} from Thor")
