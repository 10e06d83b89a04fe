"""The users and stations of both clouds, built from the run's seed.

The stations laid out at the start and those added while running draw on one id stream, so equal
seeds and equal sequences of additions give equal ids and names, whatever the API traffic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .ids import IdFactory
from .world import CONNECTOR_RATINGS, DAY_S, Connector, Provider, Station, User

if TYPE_CHECKING:
    from .config import SimulatorConfig


class Layout:
    """Builds users and stations; the older an object, the earlier its createdAt."""

    def __init__(self, config: SimulatorConfig, now: float) -> None:
        """Lay out the configured users and, per provider, config.stations stations."""
        self._config = config
        self._ids = IdFactory(config.seed, "world")
        self._built = dict.fromkeys(Provider, 0)
        self.users = [
            self._user(name, created_at=now - DAY_S * (len(config.users) - index))
            for index, name in enumerate(config.users)
        ]
        self.stations = [
            self.station(
                provider,
                config.connectors,
                created_at=now - DAY_S * (config.stations - index + 1),
                connected_at=now,
            )
            for provider in Provider
            for index in range(config.stations)
        ]

    def station(
        self, provider: Provider, connectors: int, *, created_at: float, connected_at: float
    ) -> Station:
        """Build the provider's next station, numbered after every one built before it."""
        index = self._built[provider]
        self._built[provider] += 1
        ids = self._ids
        if provider is Provider.EDRV:
            station_id, name = ids.object_id(), f"HA-SIM-{index + 1:02d}"
        else:
            station_id, name = f"smartbit-{ids.hex(11)}", f"Garage {index + 1}"
        plugs = []
        for number in range(1, connectors + 1):
            power_w, max_amperage = CONNECTOR_RATINGS[(number - 1) % len(CONNECTOR_RATINGS)]
            connector_id = (
                ids.object_id() if provider is Provider.EDRV else f"{station_id}_{number}"
            )
            plugs.append(
                Connector(
                    id=connector_id,
                    number=number,
                    power_w=power_w,
                    max_amperage=max_amperage,
                    created_at=created_at,
                    status_since=created_at,
                    plugged=self._config.plugged_in,
                    status="Preparing" if self._config.plugged_in else "Available",
                    register_wh=float(ids.number(100_000, 5_000_000)),
                )
            )
        return Station(
            provider=provider,
            id=station_id,
            name=name,
            serial=ids.hex(10).upper(),
            index=index,
            created_at=created_at,
            last_connect_at=connected_at,
            connectors=plugs,
        )

    def _user(self, name: str, *, created_at: float) -> User:
        first, _, last = name.strip().partition(" ")
        email = ".".join(name.lower().split()) + "@example.com"
        return User(
            id=self._ids.object_id(),
            firstname=first,
            lastname=last,
            email=email,
            created_at=created_at,
        )
