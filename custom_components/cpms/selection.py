"""Which of the account's stations an entry shows, as chosen in the flow or the options."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from .api import Station
from .const import CONF_ADD_NEW_STATIONS, CONF_EXCLUDED_STATIONS, CONF_STATIONS


@dataclass(frozen=True, slots=True, kw_only=True)
class StationSelection:
    """The stations chosen, those left out, and what happens to a station the account gains.

    Without a choice (small accounts) every station is shown, later ones too. After a choice, a
    station that is neither chosen nor left out joined the account later: it is added when
    `add_new` is set, and otherwise offered (a repair issue asks).
    """

    chosen: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()
    add_new: bool = True

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> StationSelection:
        """Read the selection stored in an entry's options."""
        chosen = options.get(CONF_STATIONS)
        return cls(
            chosen=None if chosen is None else frozenset(chosen),
            excluded=frozenset(options.get(CONF_EXCLUDED_STATIONS, ())),
            add_new=options.get(CONF_ADD_NEW_STATIONS, True),
        )

    def is_new(self, station_id: str) -> bool:
        """Whether the station joined the account after the choice was made."""
        return (
            self.chosen is not None
            and station_id not in self.chosen
            and station_id not in self.excluded
        )

    def shows(self, station_id: str) -> bool:
        """Whether the entry shows the station."""
        if station_id in self.excluded:
            return False
        if self.chosen is None or station_id in self.chosen:
            return True
        return self.add_new

    def is_offered(self, station_id: str) -> bool:
        """Whether the station is new and left to the user to add."""
        return not self.add_new and self.is_new(station_id)


def selection_options(
    listed: Collection[str], chosen: Collection[str], *, add_new: bool
) -> dict[str, Any]:
    """The options that store a choice among the listed stations."""
    return {
        CONF_STATIONS: sorted(set(chosen)),
        CONF_EXCLUDED_STATIONS: sorted(set(listed) - set(chosen)),
        CONF_ADD_NEW_STATIONS: add_new,
    }


def station_selector(stations: Iterable[Station]) -> SelectSelector:
    """Several stations out of a list sorted by name, each labelled with its name and id."""
    options = [
        SelectOptionDict(
            value=station.id,
            label=station.id if station.name == station.id else f"{station.name} ({station.id})",
        )
        for station in sorted(stations, key=lambda station: (station.name.casefold(), station.id))
    ]
    return SelectSelector(
        SelectSelectorConfig(options=options, multiple=True, mode=SelectSelectorMode.DROPDOWN)
    )
