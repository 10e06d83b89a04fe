"""The one place that knows which client and decoder serve which provider."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from homeassistant.const import CONF_API_KEY
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import (
    EdrvClient,
    EdrvWebhookDecoder,
    Provider,
    ThorClient,
    ThorWebhookDecoder,
    WebhookDecoder,
)
from .api.edrv import DEFAULT_BASE_URL as EDRV_BASE_URL
from .api.thor import DEFAULT_BASE_URL as THOR_BASE_URL
from .api.thor.client import DEFAULT_COMMAND_URL as THOR_COMMAND_URL
from .const import CONF_BASE_URL, CONF_COMMAND_URL, CONF_WEBHOOK_SECRET

PROVIDER_NAMES = {Provider.EDRV: "eDRV", Provider.THOR: "Thor"}
DEFAULT_BASE_URLS = {Provider.EDRV: EDRV_BASE_URL, Provider.THOR: THOR_BASE_URL}
DEFAULT_COMMAND_URL = THOR_COMMAND_URL
# Long enough for a cellular station's command to come back through the cloud.
REQUEST_TIMEOUT_S = 30.0


def create_client(
    hass: HomeAssistant,
    provider: Provider,
    data: Mapping[str, Any],
    user_id: str | None = None,
    *,
    on_command_url: Callable[[str], None] | None = None,
) -> EdrvClient | ThorClient:
    """A client on Home Assistant's shared HTTP session.

    `on_command_url` hears of the Thor host that took commands when the configured one did not.
    """
    session = async_get_clientsession(hass)
    base_url = data.get(CONF_BASE_URL) or DEFAULT_BASE_URLS[provider]
    if provider is Provider.EDRV:
        return EdrvClient(
            session,
            data[CONF_API_KEY],
            base_url=base_url,
            user_id=user_id,
            timeout_s=REQUEST_TIMEOUT_S,
        )
    return ThorClient(
        session,
        data[CONF_API_KEY],
        base_url=base_url,
        command_url=data.get(CONF_COMMAND_URL),
        on_command_url=on_command_url,
        timeout_s=REQUEST_TIMEOUT_S,
    )


def create_decoder(
    client: EdrvClient | ThorClient,
    options: Mapping[str, Any],
    known_stations: Callable[[], Collection[str]],
    *,
    timestamped_only: bool = False,
    on_timestamped: Callable[[], None] | None = None,
) -> WebhookDecoder:
    """EDRV deliveries are signed when a secret is set; Thor's can only be checked by id.

    `timestamped_only`: eDRV signatures that do not cover their timestamp are refused. The
    decoder shares the client's observations (and eDRV's units), so both read alike.
    """
    if isinstance(client, EdrvClient):
        return EdrvWebhookDecoder(
            options.get(CONF_WEBHOOK_SECRET) or None,
            timestamped_only=timestamped_only,
            on_timestamped=on_timestamped,
            units=client.units,
            observations=client.observations,
        )
    return ThorWebhookDecoder(known_stations, observations=client.observations)
