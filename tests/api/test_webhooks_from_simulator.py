"""The decoders on real deliveries: the simulator's webhooks, as received over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
from aiohttp import web
import pytest

from custom_components.cpms.api import (
    CommandResultEvent,
    ConnectorStatus,
    ConnectorStatusEvent,
    EdrvClient,
    EdrvWebhookDecoder,
    Event,
    MeterValuesEvent,
    SessionEvent,
    SessionStatus,
    StationOnlineEvent,
    ThorClient,
    ThorWebhookDecoder,
    WebhookSignatureError,
)
from simulator import Simulator
from simulator.dialects import dialect_names

from .conftest import SimFactory

SECRET = "whsec_Zoë-🚗"


@dataclass
class Receiver:
    """Collects webhook deliveries: raw body and headers."""

    url: str = ""
    deliveries: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.deliveries.append((await request.read(), dict(request.headers)))
        return web.Response()

    def decode(self, decoder: EdrvWebhookDecoder | ThorWebhookDecoder) -> list[Event]:
        return [
            event for body, headers in self.deliveries for event in decoder.decode(body, headers)
        ]


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
    collected = Receiver()
    app = web.Application()
    app.router.add_post("/hook", collected.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    collected.url = f"http://{host}:{port}/hook"
    yield collected
    await runner.cleanup()


def session_statuses(events: list[Event]) -> list[SessionStatus]:
    return [e.session.status for e in events if isinstance(e, SessionEvent)]


@pytest.mark.parametrize("dialect", dialect_names("edrv"))
async def test_edrv_deliveries_verify_and_decode(
    make_sim: SimFactory, http: aiohttp.ClientSession, receiver: Receiver, dialect: str
) -> None:
    """A whole session through the client and the decoder, in every eDRV dialect."""
    sim = await make_sim(
        edrv_webhook_url=receiver.url, edrv_webhook_secret=SECRET, edrv_dialect=dialect
    )
    # The second user's name is non-ASCII, so bodies and signatures carry UTF-8.
    edrv = EdrvClient(
        http, sim.edrv_api_key, base_url=sim.edrv_base_url, user_id=sim.edrv_user_ids[1]
    )
    station = (await edrv.async_get_stations())[0]
    connector = station.connectors[0]
    session = await edrv.async_start_session(connector)
    await sim.advance(60)
    await edrv.async_set_current_limit(connector, session, 10)
    await edrv.async_set_current_limit(connector, None, 3)  # under 6 A: the station refuses
    await sim.advance(5)
    await edrv.async_stop_session(session, connector)
    await sim.advance(60)
    sim.set_online("edrv", station.id, False)
    await sim.flush_webhooks()

    events = receiver.decode(EdrvWebhookDecoder(SECRET, units=edrv.units))
    statuses = session_statuses(events)
    assert statuses[0] is SessionStatus.CREATED
    assert SessionStatus.STARTED in statuses
    assert statuses[-1] is SessionStatus.ENDED
    ended = [e for e in events if isinstance(e, SessionEvent)][-1].session
    assert ended.id == session.id
    assert ended.energy_wh is not None
    assert ended.energy_wh > 0
    assert {(e.status, e.connector_id) for e in events if isinstance(e, ConnectorStatusEvent)} >= {
        (ConnectorStatus.CHARGING, connector.id)
    }
    assert [(e.command, e.accepted) for e in events if isinstance(e, CommandResultEvent)] == [
        ("set_power_limit", True),
        ("set_power_limit", False),
    ]
    assert [e.online for e in events if isinstance(e, StationOnlineEvent)] == [False]
    assert len({e.event_id for e in events}) == len(events)

    # The same deliveries under another secret are refused.
    body, headers = receiver.deliveries[0]
    with pytest.raises(WebhookSignatureError):
        EdrvWebhookDecoder("another secret").decode(body, headers)


@pytest.mark.parametrize("variant", ["plain", "quirky"])
async def test_thor_notifications_decode(
    make_sim: SimFactory, http: aiohttp.ClientSession, receiver: Receiver, variant: str
) -> None:
    sim = await make_sim(thor_webhook_url=receiver.url, variant=variant)
    thor = ThorClient(
        http, sim.thor_api_key, base_url=sim.thor_base_url, command_url=sim.thor_command_base_url
    )
    station = (await thor.async_get_stations())[0]
    connector = station.connectors[0]
    requested = await thor.async_start_session(connector)
    await sim.advance(95)  # started, then meter values every 30 s
    running = await thor.async_get_session(requested)
    assert running is not None
    await thor.async_stop_session(running, connector)
    await sim.advance(60)
    await sim.flush_webhooks()

    events = receiver.decode(ThorWebhookDecoder(lambda: sim.station_ids("thor")))
    sessions = [e.session for e in events if isinstance(e, SessionEvent)]
    assert [s.status for s in sessions] == [SessionStatus.STARTED, SessionStatus.ENDED]
    assert all(s.id == running.id for s in sessions)
    assert all(s.ref.thor_id_tag == requested.ref.thor_id_tag for s in sessions)
    meters = [e for e in events if isinstance(e, MeterValuesEvent)]
    assert meters
    last = meters[-1]
    assert last.connector_id == connector.id
    assert last.power_w == pytest.approx(11000, rel=0.05)
    assert last.current_a == pytest.approx(16, rel=0.05)
    assert last.soc is not None
    # Session energy, as in the running charges, not the absolute meter register.
    assert last.energy_wh is not None
    assert 0 < last.energy_wh <= (sessions[-1].energy_wh or 0)


async def test_thor_refusals_decode(
    make_sim: SimFactory, http: aiohttp.ClientSession, receiver: Receiver
) -> None:
    sim: Simulator = await make_sim(thor_webhook_url=receiver.url)
    thor = ThorClient(
        http, sim.thor_api_key, base_url=sim.thor_base_url, command_url=sim.thor_command_base_url
    )
    first, second = await thor.async_get_stations()
    sim.set_online("thor", second.id, False)
    await thor.async_start_session(second.connectors[0])
    requested = await thor.async_start_session(first.connectors[0])
    await sim.advance(60)
    running = await thor.async_get_session(requested)
    assert running is not None
    sim.faults.fail_next_stop = "refused"
    await thor.async_stop_session(running, first.connectors[0])
    await sim.advance(60)
    await sim.flush_webhooks()

    statuses = session_statuses(receiver.decode(ThorWebhookDecoder(lambda: {first.id, second.id})))
    assert SessionStatus.START_FAILED in statuses
    assert SessionStatus.STOP_FAILED in statuses
