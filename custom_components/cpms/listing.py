"""The station list read by a flow, handed to the entry it sets up, so setup reads it once."""

from __future__ import annotations

import time

from homeassistant.core import HomeAssistant, callback
from homeassistant.util.hass_dict import HassKey

from .api import Station
from .const import DOMAIN

# Long enough for the remaining flow steps, short enough not to hide a change of the account.
_FRESH_S = 300

_LISTINGS: HassKey[dict[str, tuple[float, list[Station]]]] = HassKey(f"{DOMAIN}_listings")


@callback
def async_keep_listing(hass: HomeAssistant, account: str, stations: list[Station]) -> None:
    """Keep a fresh listing of the account (its config entry's unique id) for its setup."""
    listings = hass.data.setdefault(_LISTINGS, {})
    now = time.monotonic()
    for stale in [key for key, (read_at, _) in listings.items() if now - read_at > _FRESH_S]:
        del listings[stale]
    listings[account] = (now, stations)


@callback
def async_take_listing(hass: HomeAssistant, account: str | None) -> list[Station] | None:
    """The account's listing if a flow read it moments ago; each listing is used once."""
    kept = hass.data.get(_LISTINGS, {}).pop(account or "", None)
    if kept is None or time.monotonic() - kept[0] > _FRESH_S:
        return None
    return kept[1]
