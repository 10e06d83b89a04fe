"""Actions on a connector, targeted at its Charging switch or its device."""

from __future__ import annotations

from typing import Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import service
import probatio

from .const import DOMAIN

ATTR_ENERGY: Final = "energy"
ATTR_DURATION: Final = "duration"
ATTR_COST: Final = "cost"
ATTR_CURRENT: Final = "current"

SERVICE_START_CHARGING: Final = "start_charging"
SERVICE_STOP_CHARGING: Final = "stop_charging"
SERVICE_SET_CURRENT_LIMIT: Final = "set_current_limit"

_POSITIVE = probatio.All(probatio.Coerce(float), probatio.Range(min=0, min_included=False))


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions; the switch entity of each targeted connector carries them out."""
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_START_CHARGING,
        entity_domain=Platform.SWITCH,
        schema={
            probatio.Optional(ATTR_ENERGY): _POSITIVE,
            probatio.Optional(ATTR_DURATION): _POSITIVE,
            probatio.Optional(ATTR_COST): _POSITIVE,
        },
        func="async_start_charging",
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_STOP_CHARGING,
        entity_domain=Platform.SWITCH,
        schema=None,
        func="async_stop_charging",
    )
    service.async_register_platform_entity_service(
        hass,
        DOMAIN,
        SERVICE_SET_CURRENT_LIMIT,
        entity_domain=Platform.SWITCH,
        schema={probatio.Required(ATTR_CURRENT): probatio.Coerce(float)},
        func="async_set_current_limit",
    )
