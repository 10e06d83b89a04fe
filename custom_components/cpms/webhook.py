"""The account's webhook: its URL, registration, and the handler that feeds the coordinator."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
import logging

from aiohttp import hdrs, web
from homeassistant.components import webhook
from homeassistant.const import CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .api import (
    WebhookDecoder,
    WebhookError,
    WebhookSignatureError,
    WebhookUnknownStationError,
)
from .const import CONF_CLOUDHOOK_URL, DOMAIN
from .coordinator import CpmsCoordinator
from .data import CpmsConfigEntry

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


class CpmsWebhook:
    """Receives deliveries for one account, verified before anything changes."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: CpmsConfigEntry,
        coordinator: CpmsCoordinator,
        decoder: WebhookDecoder,
    ) -> None:
        """Bind the entry's webhook id to its coordinator and decoder."""
        self._hass = hass
        self._entry = entry
        self._coordinator = coordinator
        self._decoder = decoder
        self.webhook_id: str = entry.data[CONF_WEBHOOK_ID]

    async def async_register(self) -> None:
        """Accept POSTs from anywhere: the cloud delivers over the internet."""
        webhook.async_register(
            self._hass,
            DOMAIN,
            self._entry.title,
            self.webhook_id,
            self._async_handle,
            allowed_methods=[hdrs.METH_POST],
        )
        self._coordinator.webhook_url = (
            self._entry.data.get(CONF_CLOUDHOOK_URL)
            or (await async_webhook_url(self._hass, self.webhook_id)).url
        )

    def unregister(self) -> None:
        """Stop accepting deliveries."""
        webhook.async_unregister(self._hass, self.webhook_id)

    async def _async_handle(
        self, hass: HomeAssistant, webhook_id: str, request: web.Request
    ) -> web.Response:
        """Answer fast with an empty 200; refuse what fails verification with a 4xx."""
        body = await _async_read_body(request)
        if body is None:
            _LOGGER.warning("Refused a webhook larger than %d bytes", MAX_BODY_BYTES)
            return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        try:
            self._coordinator.async_handle_webhook(self._decoder, body, request.headers)
        except WebhookSignatureError as err:
            _LOGGER.warning("Refused a webhook with a bad signature: %s", err)
            return web.Response(status=HTTPStatus.UNAUTHORIZED)
        except WebhookUnknownStationError as err:
            _LOGGER.warning("Refused a webhook for an unknown station: %s", err)
            return web.Response(status=HTTPStatus.FORBIDDEN)
        except WebhookError as err:
            _LOGGER.warning("Refused a malformed webhook: %s", err)
            return web.Response(status=HTTPStatus.BAD_REQUEST)
        return web.Response(status=HTTPStatus.OK)


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
