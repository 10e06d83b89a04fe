"""The account's webhook: its URL, and the handler that decodes deliveries for the coordinator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
import logging
from typing import TYPE_CHECKING

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .api import (
    WebhookDecoder,
    WebhookError,
    WebhookSignatureError,
    WebhookUnknownStationError,
)
from .data import Refusal

if TYPE_CHECKING:
    from .coordinator import CpmsCoordinator

_LOGGER = logging.getLogger(__name__)

# The largest delivery either cloud sends is a few KiB; anything far bigger is refused unread.
MAX_BODY_BYTES = 64 * 1024
_CHUNK_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class WebhookUrl:
    """Where the cloud should deliver, and whether it can get there."""

    url: str
    reachable: bool
    cloudhook: bool = False


async def async_webhook_url(hass: HomeAssistant, webhook_id: str) -> WebhookUrl:
    """The URL to give the cloud.

    With Nabu Casa it is a cloudhook; otherwise Home Assistant's external URL. Without one,
    the internal URL is all there is, and only a cloud on the same network could use it.
    """
    if "cloud" in hass.config.components:
        # Imported only where Home Assistant Cloud is set up: it pulls in much of Home Assistant.
        from homeassistant.components import cloud  # noqa: PLC0415

        if cloud.async_active_subscription(hass):
            url = await cloud.async_get_or_create_cloudhook(hass, webhook_id)
            return WebhookUrl(url, reachable=True, cloudhook=True)
    try:
        return WebhookUrl(
            webhook.async_generate_url(hass, webhook_id, allow_internal=False), reachable=True
        )
    except NoURLAvailableError:
        pass
    try:
        return WebhookUrl(webhook.async_generate_url(hass, webhook_id), reachable=False)
    except NoURLAvailableError:
        return WebhookUrl(webhook.async_generate_path(webhook_id), reachable=False)


type WebhookHandler = Callable[[HomeAssistant, str, web.Request], Awaitable[web.Response]]


def get_webhook_handler(decoder: WebhookDecoder, coordinator: CpmsCoordinator) -> WebhookHandler:
    """A handler that verifies and decodes each delivery before the coordinator sees it."""

    async def async_handle_webhook(
        hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer fast with an empty 200; refuse what fails verification.

        A bad signature changes nothing and raises a repair issue, but is answered 200: eDRV
        disables an endpoint that keeps answering errors, and a wrong secret in Home Assistant
        would then need the endpoint re-enabled too once the secret is fixed.
        """
        body = await _async_read_body(request)
        if body is None:
            _LOGGER.warning("Refused a webhook larger than %d bytes", MAX_BODY_BYTES)
            coordinator.async_handle_refusal(Refusal.MALFORMED)
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            events = decoder.decode(body, request.headers)
        except WebhookSignatureError as err:
            _LOGGER.warning("Refused a webhook with a bad signature (answered 200): %s", err)
            coordinator.note_refused_signature(body, request.headers)
            coordinator.async_handle_refusal(Refusal.SIGNATURE)
            return web.Response(status=HTTPStatus.OK)
        except WebhookUnknownStationError as err:
            _LOGGER.warning("Refused a webhook for an unknown station: %s", err)
            coordinator.async_handle_refusal(Refusal.UNKNOWN_STATION)
            return web.Response(status=HTTPStatus.FORBIDDEN)
        except WebhookError as err:
            _LOGGER.warning("Refused a malformed webhook: %s", err)
            coordinator.async_handle_refusal(Refusal.MALFORMED)
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        coordinator.async_handle_events(events)
        return web.Response(status=HTTPStatus.OK)

    return async_handle_webhook


async def _async_read_body(request: web.Request) -> bytes | None:
    """The body, or None once it passes the limit: a big body is never held whole."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)
