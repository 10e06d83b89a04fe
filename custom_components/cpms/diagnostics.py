"""Diagnostics: the account's state, with every secret and identifying tag redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import CONF_CLOUDHOOK_URL, CONF_WEBHOOK_SECRET
from .coordinator import CpmsConfigEntry

TO_REDACT = {
    CONF_API_KEY,
    CONF_WEBHOOK_ID,
    CONF_CLOUDHOOK_URL,
    CONF_WEBHOOK_SECRET,
    "webhook_url",
    "thor_id_tag",
    "serial",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CpmsConfigEntry
) -> dict[str, Any]:
    """What support needs to see: configuration, push health, stations and sessions."""
    coordinator = entry.runtime_data
    data = coordinator.data
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            "webhook_url": coordinator.webhook_url,
            "webhooks_confirmed": coordinator.webhooks_confirmed,
            "last_webhook": data.last_webhook,
            # Since the entry was set up: what README's troubleshooting asks to check.
            "deliveries": {
                "accepted": coordinator.deliveries.accepted,
                "refused": dict(coordinator.deliveries.refused),
                "refused_since_last_accepted": coordinator.deliveries.refused_in_a_row,
            },
            "update_interval": coordinator.update_interval,
            "capabilities": asdict(coordinator.client.capabilities),
            # What the cloud really sent, already redacted: it settles what the docs leave open.
            "cloud": coordinator.client.observations.as_dict(),
            "stations": [asdict(station) for station in data.stations.values()],
            "sessions": {
                connector_id: asdict(state.session) if state.session else None
                for connector_id, state in data.connectors.items()
            },
        },
        TO_REDACT,
    )
