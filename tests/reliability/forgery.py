"""Post forged deliveries to Home Assistant and tell whether anything changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.helpers import entity_registry as er

from simulator.webhooks import Delivery, WebhookQueue
from simulator.world import Provider

from ..integration.conftest import Account
from .check import SessionEvents
from .tally import Tally


def visible_state(account: Account) -> dict[str, Any]:
    """Every entity's state and attributes, but the time of the last webhook."""
    registry = er.async_get(account.hass)
    shown: dict[str, Any] = {}
    for entry in er.async_entries_for_config_entry(registry, account.entry.entry_id):
        if entry.unique_id.endswith("_last_webhook"):
            continue
        state = account.hass.states.get(entry.entity_id)
        shown[entry.entity_id] = None if state is None else (state.state, dict(state.attributes))
    sessions = account.entry.runtime_data.data.connectors
    shown["sessions"] = {cid: state.session for cid, state in sessions.items()}
    return shown


class Forger:
    """Posts forgeries to an account's webhook and tells whether anything changed."""

    def __init__(self, account: Account, client: TestClient[Any, Any], tally: Tally) -> None:
        """Watch the account's session events from now on."""
        self.account = account
        self._client = client
        self._tally = tally
        self.events = SessionEvents.capture(account.hass)

    async def post(
        self, body: bytes, headers: Mapping[str, str] | None = None, *, genuine: bool = False
    ) -> tuple[int, bool]:
        """Return the status and whether the delivery changed anything Home Assistant shows.

        A 2xx that changed something counts as an accepted forgery, unless it is `genuine`.
        """
        account, events = self.account, self.events
        before = visible_state(account), len(events.started), len(events.ended)
        response = await self._client.post(
            account.webhook_path, data=body, headers=dict(headers or {})
        )
        await account.hass.async_block_till_done(wait_background_tasks=True)
        changed = before != (visible_state(account), len(events.started), len(events.ended))
        if 200 <= response.status < 300 and changed and not genuine:
            self._tally.forged_requests_accepted += 1
        return response.status, changed


class Tap:
    """Keeps a copy of every delivery the simulator sends, as an eavesdropper would."""

    def __init__(self, account: Account) -> None:
        """Wrap the provider's delivery queue."""
        self.bodies: list[bytes] = []
        queue: WebhookQueue = account.sim._queues[Provider(account.provider)]
        send = queue._send

        async def tapped(delivery: Delivery) -> None:
            self.bodies.append(delivery.body)
            await send(delivery)

        queue._send = tapped  # type: ignore[method-assign]
