"""Transport behaviour and answers the simulator never gives, from a scripted local server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import socket
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.cpms.api import (
    Connector,
    ConnectorStatus,
    CpmsAuthenticationError,
    CpmsConnectionError,
    CpmsNotFoundError,
    CpmsRateLimitError,
    CpmsRejectedError,
    CpmsResponseError,
    CpmsStationOfflineError,
    EdrvClient,
    RetryPolicy,
    Session,
    SessionRef,
    SessionStatus,
    ThorClient,
)
from custom_components.cpms.api.edrv import client as edrv_client_module
from custom_components.cpms.api.http import path_segment, retry_after_s

from .conftest import RecordedSleep
from .samples import edrv_session, edrv_station

type Reply = web.Response | Callable[[web.Request], Any]


@dataclass
class FakeCloud:
    """Answers each request with the next scripted reply for its path; the last one repeats."""

    url: str = ""
    replies: dict[str, list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def script(self, path: str, *replies: Reply) -> None:
        self.replies.setdefault(path, []).extend(replies)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append((request.method, request.path, dict(request.query), body))
        replies = self.replies[request.path]
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if callable(reply):
            response: web.StreamResponse = await reply(request)
            return response
        # A response object serves once; send a copy so a reply can repeat.
        return web.Response(status=reply.status, body=reply.body, headers=reply.headers)


def envelope(result: object, **extra: object) -> web.Response:
    return web.json_response({"ok": True, "message": "Found", "result": result, **extra})


@pytest.fixture
async def cloud(socket_enabled: None) -> AsyncIterator[FakeCloud]:
    fake = FakeCloud()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    fake.url = f"http://{host}:{port}"
    yield fake
    await runner.cleanup()


@pytest.fixture
def edrv(cloud: FakeCloud, http: aiohttp.ClientSession, sleep: RecordedSleep) -> EdrvClient:
    return EdrvClient(http, "edrv-key", base_url=cloud.url, user_id="u1", sleep=sleep)


@pytest.fixture
def thor(cloud: FakeCloud, http: aiohttp.ClientSession, sleep: RecordedSleep) -> ThorClient:
    return ThorClient(http, "thor-key", base_url=cloud.url + "/", sleep=sleep)


CONNECTOR = Connector(id="c/1", station_id="box", number=1, label="Connector 1")


# --- transport ----------------------------------------------------------------------


def test_retry_policy_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=6, backoff_s=2, max_delay_s=10)
    assert [policy.delay(n) for n in range(1, 6)] == [2, 4, 8, 10, 10]


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    assert retry_after_s({"Retry-After": "12"}, now) == 12
    assert retry_after_s({"Retry-After": "-3"}, now) == 0
    assert retry_after_s({"Retry-After": "Sat, 21 Nov 2026 10:01:30 GMT"}, now) == 90
    assert retry_after_s({"Retry-After": "Sat, 21 Nov 2026 09:00:00 GMT"}, now) == 0
    assert retry_after_s({"Retry-After": "soon"}, now) is None
    assert retry_after_s({}, now) is None
    assert retry_after_s({"Retry-After": "Sat, 21 Nov 2999 10:01:30 GMT"}) is not None


def test_ids_are_quoted_as_one_path_segment() -> None:
    assert path_segment("a/b c?d") == "a%2Fb%20c%3Fd"


async def test_ids_stay_inside_their_segment(cloud: FakeCloud, edrv: EdrvClient) -> None:
    cloud.script("/connectors/c/1/set_default_power_limit", envelope({"_id": "a"}))
    await edrv.async_set_current_limit(CONNECTOR, None, 16)
    method, path, _, body = cloud.requests[0]
    assert (method, path) == ("POST", "/connectors/c/1/set_default_power_limit")
    assert json.loads(body) == {"unit": "current", "limit": 16}


async def test_timeout_is_a_connection_error(
    cloud: FakeCloud, http: aiohttp.ClientSession, sleep: RecordedSleep
) -> None:
    release = asyncio.Event()

    async def slow(_: web.Request) -> web.Response:
        await release.wait()
        return envelope([])

    cloud.script("/users", slow)
    edrv = EdrvClient(
        http,
        "k",
        base_url=cloud.url,
        timeout_s=0.05,
        retry=RetryPolicy(attempts=2),
        sleep=sleep,
    )
    try:
        with pytest.raises(CpmsConnectionError, match="timed out"):
            await edrv.async_get_users()
    finally:
        release.set()
    # Two attempts, one pause between them. Not counted at the server: on a busy machine an
    # attempt can time out before its request even arrives there.
    assert sleep.delays == [1.0]
    for _ in range(5):
        await asyncio.sleep(0)


async def test_refused_connection(http: aiohttp.ClientSession, sleep: RecordedSleep) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    thor = ThorClient(http, "secret-key", base_url=f"http://127.0.0.1:{port}", sleep=sleep)
    with pytest.raises(CpmsConnectionError, match="cannot connect") as caught:
        await thor.async_get_stations()
    assert "secret-key" not in str(caught.value)
    assert len(sleep.delays) == 2


async def test_redirects_are_not_followed(
    cloud: FakeCloud, edrv: EdrvClient, thor: ThorClient
) -> None:
    elsewhere = web.Response(status=302, headers={"Location": "http://127.0.0.1:9/steal"})
    cloud.script("/users", elsewhere)
    cloud.script("/chargeboxes", elsewhere)
    with pytest.raises(CpmsResponseError, match="302"):
        await edrv.async_get_users()
    with pytest.raises(CpmsResponseError, match="302"):
        await thor.async_get_stations()


async def test_single_attempt_policy(
    cloud: FakeCloud, http: aiohttp.ClientSession, sleep: RecordedSleep
) -> None:
    cloud.script("/users", web.Response(status=502))
    edrv = EdrvClient(http, "k", base_url=cloud.url, retry=RetryPolicy(attempts=0), sleep=sleep)
    with pytest.raises(CpmsConnectionError, match="502"):
        await edrv.async_get_users()
    assert sleep.delays == []


# --- eDRV answers -------------------------------------------------------------------


async def test_edrv_sends_the_bearer_key(cloud: FakeCloud, edrv: EdrvClient) -> None:
    seen: list[str] = []

    async def check(request: web.Request) -> web.Response:
        seen.append(request.headers["Authorization"])
        return envelope([])

    cloud.script("/users", check)
    assert await edrv.async_get_users() == []
    assert seen == ["Bearer edrv-key"] * 2  # page 1, then page 0 once to learn the base
    assert cloud.requests[0][2] == {
        "paginate_limit": "100",
        "paginate_page": "1",
        "sort_by": "createdAt",
        "sort_order": "asc",
    }


@pytest.mark.parametrize(
    ("reply", "error", "match"),
    [
        (
            web.json_response({"ok": False, "message": "Nope", "result": None}),
            CpmsRejectedError,
            "Nope",
        ),
        (web.json_response({"ok": False}), CpmsRejectedError, "request failed"),
        (web.json_response({"ok": True, "message": "x"}), CpmsResponseError, "no result"),
        (web.json_response([1, 2]), CpmsResponseError, "not an object"),
        (web.Response(text="<html>ok</html>"), CpmsResponseError, "not JSON"),
        (envelope({"_id": "s"}), CpmsResponseError, "not a list"),
        (envelope(["just a string"]), CpmsResponseError, "not an object"),
        (envelope([{"firstname": "no id"}]), CpmsResponseError, "_id is missing"),
    ],
)
async def test_edrv_bad_answers(
    cloud: FakeCloud, edrv: EdrvClient, reply: web.Response, error: type[Exception], match: str
) -> None:
    cloud.script("/users", reply)
    with pytest.raises(error, match=match):
        await edrv.async_get_users()


@pytest.mark.parametrize(
    ("reply", "error", "code"),
    [
        (web.Response(status=401), CpmsAuthenticationError, "Unauthorized"),
        (
            web.json_response({"ok": False, "message": "insufficient scope"}, status=403),
            CpmsAuthenticationError,
            "insufficient scope",
        ),
        (web.Response(status=404), CpmsNotFoundError, None),
        (web.Response(status=406, text="Chargestation is offline"), CpmsStationOfflineError, None),
        (web.Response(status=405, text="use GET"), CpmsRejectedError, "Method Not Allowed"),
        (
            web.json_response({"ok": False, "message": "Bad limit"}, status=400),
            CpmsRejectedError,
            "Bad Request",
        ),
        (web.json_response([], status=409), CpmsRejectedError, "Conflict"),
        (web.Response(status=304), CpmsResponseError, None),
    ],
)
async def test_edrv_error_statuses(
    cloud: FakeCloud,
    edrv: EdrvClient,
    *,
    reply: web.Response,
    error: type[Exception],
    code: str | None,
) -> None:
    cloud.script("/sessions/s1/set_power_limit", reply)
    session = Session(id="s1", station_id="st", connector_id="c", status=SessionStatus.STARTED)
    with pytest.raises(error) as caught:
        await edrv.async_set_current_limit(CONNECTOR, session, 10)
    if code is not None:
        assert getattr(caught.value, "code", None) == code
    assert len(cloud.requests) == 1


async def test_edrv_error_messages(cloud: FakeCloud, edrv: EdrvClient) -> None:
    cloud.script(
        "/sessions",
        web.Response(status=400, text=" Connector busy "),
        web.json_response({"message": ""}, status=406),
    )
    with pytest.raises(CpmsRejectedError) as caught:
        await edrv.async_start_session(CONNECTOR)
    assert caught.value.message == "Connector busy"
    with pytest.raises(CpmsStationOfflineError, match="offline"):
        await edrv.async_start_session(CONNECTOR)


async def test_edrv_paging_without_has_next(
    cloud: FakeCloud, edrv: EdrvClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(edrv_client_module, "PAGE_SIZE", 2)
    one, two, three = (edrv_station(_id=f"st{n}", connectors=[]) for n in range(3))
    cloud.script(
        "/chargestations",
        envelope([one, two]),
        web.json_response({"ok": False, "message": "page must be >= 1"}, status=400),
        envelope([two, three]),  # an item seen twice is kept once
        envelope([]),
    )
    stations = await edrv.async_get_stations()
    assert [s.id for s in stations] == ["st0", "st1", "st2"]
    assert [r[2]["paginate_page"] for r in cloud.requests] == ["1", "0", "2", "3"]


async def test_edrv_zero_based_pages_are_detected(
    cloud: FakeCloud, edrv: EdrvClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Page 1 of a 0-based API is the second page: page 0 holds the first, read once more."""
    monkeypatch.setattr(edrv_client_module, "PAGE_SIZE", 2)
    one, two, three = (edrv_station(_id=f"st{n}", connectors=[]) for n in range(3))
    cloud.script(
        "/chargestations",
        envelope([three], hasNext=False),  # page 1: the second page
        envelope([one, two], hasNext=True),  # page 0, the probe
        envelope([one, two], hasNext=True),  # page 0 again, now as the first page
        envelope([one], hasNext=False),
        envelope([one], hasNext=False),
    )
    stations = await edrv.async_get_stations()
    assert [s.id for s in stations] == ["st0", "st1", "st2"]
    assert edrv.observations.facts["eDRV first page number"] == "0"
    cloud.requests.clear()
    await edrv.async_get_stations()
    assert [r[2]["paginate_page"] for r in cloud.requests] == ["0"]


async def test_edrv_empty_page_ends_paging(cloud: FakeCloud, edrv: EdrvClient) -> None:
    cloud.script("/users", envelope([], hasNext=True))
    assert await edrv.async_get_users() == []
    assert len(cloud.requests) == 2  # page 1, and page 0 once


async def test_edrv_session_filters_are_checked_locally(cloud: FakeCloud, edrv: EdrvClient) -> None:
    """A server ignoring the status and connector filters still gives the right answer."""
    everything = [
        edrv_session(_id="a", status="Ended", connector="c/1"),
        edrv_session(_id="b", status="started", connector="other"),
        edrv_session(_id="c", status="created", connector="c/1"),
        edrv_session(_id="d", status="cancelled", connector="c/1"),
    ]
    station = edrv_station(_id="st", connectors=[])
    cloud.script("/chargestations", envelope([station]), envelope([station]))
    cloud.script("/sessions", envelope(everything), envelope(everything))
    found = await edrv.async_find_active_session(CONNECTOR)
    assert found is not None
    assert found.id == "c"
    # Where pages start is learnt from the stations: page 0 is page 1 again, so from 1.
    stations = [r[2]["paginate_page"] for r in cloud.requests if r[1] == "/chargestations"]
    assert stations == ["1", "0"]
    sessions = [r[2] for r in cloud.requests if r[1] == "/sessions"]
    assert sessions[0]["connector"] == "c/1"
    # Other statuses in the answer: the filter is ignored, so one query is enough.
    assert [(r["status"], r["paginate_page"]) for r in sessions] == [("Started", "1")]
    assert all(r["sort_order"] == "desc" for r in sessions)
    assert edrv.observations.facts["eDRV status filter"] == "ignored"
    assert edrv.observations.facts["eDRV connector filter"] == "ignored"
    cloud.requests.clear()
    assert (await edrv.async_find_active_session(CONNECTOR)) is not None
    assert [r[2].get("status") for r in cloud.requests] == [None]  # one query from now on


async def test_edrv_stop_uses_the_ref(cloud: FakeCloud, edrv: EdrvClient) -> None:
    cloud.script("/sessions/real-id/stop", envelope(None))
    session = Session(
        id="display-id",
        station_id="st",
        connector_id="c",
        status=SessionStatus.STARTED,
        ref=SessionRef(edrv_session_id="real-id"),
    )
    await edrv.async_stop_session(session, CONNECTOR)
    assert cloud.requests[0][:2] == ("GET", "/sessions/real-id/stop")


# --- Thor answers ---------------------------------------------------------------------


async def test_thor_sends_its_key_header(cloud: FakeCloud, thor: ThorClient) -> None:
    seen: list[str | None] = []

    async def check(request: web.Request) -> web.Response:
        seen.append(request.headers.get("X-Api-Key"))
        return web.json_response([])

    cloud.script("/chargeboxes", check)
    assert await thor.async_get_stations() == []
    assert seen == ["thor-key"]
    assert cloud.requests[0][2] == {"onlyactive": "true"}


@pytest.mark.parametrize(
    ("reply", "error", "code"),
    [
        (web.Response(status=401, text="who are you"), CpmsAuthenticationError, None),
        (web.Response(status=403, text='{"message":"Forbidden"}'), CpmsAuthenticationError, None),
        (web.Response(status=404), CpmsNotFoundError, None),
        (web.Response(status=400, text="BoundsTooBig"), CpmsRejectedError, "BoundsTooBig"),
        (web.Response(status=400, text="SomethingNew"), CpmsRejectedError, "Bad Request"),
        (web.Response(status=400, text="TooManyRequests"), CpmsRateLimitError, None),
        (web.Response(status=403, text="InternalServerError"), CpmsConnectionError, None),
        (web.Response(status=418, text="ChargeboxNotFoundX"), CpmsRejectedError, "I'm a Teapot"),
        (web.Response(status=200, text="not json"), CpmsResponseError, None),
        (web.json_response({"id": "no list"}), CpmsResponseError, None),
    ],
)
async def test_thor_answers_by_code_then_status(
    cloud: FakeCloud,
    thor: ThorClient,
    *,
    reply: web.Response,
    error: type[Exception],
    code: str | None,
) -> None:
    cloud.script("/chargeboxes", reply)
    with pytest.raises(error) as caught:
        await thor.async_get_stations()
    if code is not None:
        assert getattr(caught.value, "code", None) == code


@pytest.mark.parametrize(
    "reply",
    [web.json_response({}), web.json_response({"id_tag": ""}), web.Response(text="")],
)
async def test_thor_start_needs_an_id_tag(
    cloud: FakeCloud, thor: ThorClient, reply: web.Response
) -> None:
    cloud.script("/charges/start", reply)
    with pytest.raises(CpmsResponseError):
        await thor.async_start_session(CONNECTOR)


async def test_thor_chargebox_edges(cloud: FakeCloud, thor: ThorClient) -> None:
    box = {
        "id": "box",
        "connected": "true",
        "connectors": [{"power": None}, {}, {"power": "7400"}],
        "occupied_connectors": [3, "x"],
        "reserved_connectors": ["2"],
    }
    cloud.script(
        "/chargeboxes/box",
        web.json_response(box),
        web.json_response({**box, "occupied_connectors": 3}),
    )
    station = await thor.async_get_station("box")
    assert station.name == "box"
    assert station.online is True
    assert [c.status for c in station.connectors] == [
        ConnectorStatus.UNKNOWN,
        ConnectorStatus.RESERVED,
        ConnectorStatus.CHARGING,
    ]
    assert [c.max_power_kw for c in station.connectors] == [None, None, 7.4]
    assert (await thor.async_get_station("box")).connectors[2].status is ConnectorStatus.UNKNOWN


@pytest.mark.parametrize(
    "body",
    [
        {"count": 1},
        {"count": 1, "items": [{"chargebox": "box"}]},
        {"count": 1, "items": [{"connector": 1}]},
        [],
    ],
)
async def test_thor_bad_charge_lists(cloud: FakeCloud, thor: ThorClient, body: object) -> None:
    cloud.script("/charges/running", web.json_response(body))
    with pytest.raises(CpmsResponseError):
        await thor.async_get_running_charges()


async def test_thor_stop_sends_only_what_it_knows(cloud: FakeCloud, thor: ThorClient) -> None:
    cloud.script("/charges/stop", web.Response(), web.Response())
    tagged = Session(
        id="TAG",
        station_id="box",
        connector_id="c/1",
        status=SessionStatus.REQUESTED,
        ref=SessionRef(thor_id_tag="TAG"),
    )
    await thor.async_stop_session(tagged, CONNECTOR)
    full = Session(
        id="5",
        station_id="box",
        connector_id="c/1",
        status=SessionStatus.STARTED,
        ref=SessionRef(thor_id_tag="TAG", thor_transaction=5),
    )
    await thor.async_stop_session(full, CONNECTOR)
    bodies = [json.loads(r[3]) for r in cloud.requests]
    assert bodies == [
        {"chargebox": "box", "connector": 1, "id_tag": "TAG"},
        {"chargebox": "box", "connector": 1, "id_tag": "TAG", "transaction": 5},
    ]


async def test_thor_session_lookup_skips_other_connectors(
    cloud: FakeCloud, thor: ThorClient
) -> None:
    running = {
        "count": 2,
        "items": [
            {"chargebox": "box", "connector": 2, "id": 8, "id_tag": None, "energy": 10},
            {"chargebox": "box", "connector": 1, "id": 9, "id_tag": "TAG", "energy": "250"},
        ],
    }
    cloud.script("/charges/running", web.json_response(running))
    requested = Session(
        id="TAG",
        station_id="box",
        connector_id="box_1",
        status=SessionStatus.REQUESTED,
        ref=SessionRef(thor_id_tag="TAG"),
    )
    found = await thor.async_get_session(requested)
    assert found is not None
    assert (found.id, found.energy_wh) == ("9", 250.0)
    assert cloud.requests[0][2] == {"chargebox": "box"}


async def test_thor_finished_lookup_dates(cloud: FakeCloud, thor: ThorClient) -> None:
    cloud.script("/charges/running", web.json_response({"count": 0, "items": []}))
    finished = {
        "count": 1,
        "items": [
            {
                "chargebox": "box",
                "connector": 1,
                "id": 0,
                "id_tag": "TAG",
                "energy": 900,
                "date_started": 1_795_000_000_000,
                "date_finished": 1_795_003_600_000,
            }
        ],
    }
    cloud.script("/charges/finished", web.json_response(finished))
    session = Session(
        id="TAG",
        station_id="box",
        connector_id="box_1",
        status=SessionStatus.STARTED,
        ref=SessionRef(thor_id_tag="TAG"),
        started_at=datetime(2026, 11, 1, 23, 30, tzinfo=UTC),
    )
    found = await thor.async_get_session(session)
    assert found is not None
    assert found.status is SessionStatus.ENDED
    assert found.id == "TAG"  # a transaction of 0 is no transaction
    assert found.ended_at == datetime.fromtimestamp(1_795_003_600, UTC)
    query = cloud.requests[1][2]
    assert query["from"] == "20261031"
    assert query["to"] >= datetime.now(UTC).strftime("%Y%m%d")
