"""Configuration of a simulator run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .dialects import EDRV_DIALECTS, THOR_DIALECTS

type VariantMode = Literal["alternate", "plain", "quirky"]

VARIANT_MODES: tuple[VariantMode, ...] = ("alternate", "plain", "quirky")
DEFAULT_USERS = ("Home Assistant", "Zoë Janssen")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatorConfig:
    """Everything fixed for one run; times are simulated seconds.

    `variant` picks between the documented spellings of each quirk: "plain" always uses the first
    (eDRV "Started", numbers, kWh meter, kW power, SoC in "Percent"; Thor "mode" key, lowercase
    "value", Wh/W meters, JSON error bodies), "quirky" always the second (eDRV "started", numbers
    as strings, Wh meter, W power, SoC unit null, "CABLE" connectors; Thor a second "type" key,
    "Value", kWh/kW meters, plain-text error bodies), and "alternate" switches per object: the
    first session or station is plain, the second quirky, and so on (Thor errors alternate per
    error response).
    """

    host: str = "127.0.0.1"
    port: int = 0
    clock_factor: float = 0.0
    stations: int = 2
    connectors: int = 2
    plugged_in: bool = True
    edrv_api_key: str = "edrv-sim-key"
    thor_api_key: str = "thor-sim-key"
    edrv_webhook_url: str | None = None
    thor_webhook_url: str | None = None
    edrv_webhook_secret: str | None = None
    edrv_dialect: str = "docs"
    thor_dialect: str = "docs"
    start_timeout_s: float = 120.0
    start_delay_s: float = 5.0
    stop_delay_s: float = 5.0
    meter_interval_s: float = 30.0
    command_delay_s: float = 1.0
    max_page_size: int = 50
    users: tuple[str, ...] = DEFAULT_USERS
    seed: int = 1
    variant: VariantMode = "alternate"
    energy_price: float = 0.30

    def __post_init__(self) -> None:
        """Refuse values the simulator cannot run with."""
        if self.clock_factor < 0:
            raise ValueError("clock_factor must be 0 (manual) or positive")
        if self.stations < 1 or self.connectors < 1:
            raise ValueError("stations and connectors must be at least 1")
        delays = (self.start_timeout_s, self.start_delay_s, self.stop_delay_s, self.command_delay_s)
        if min(delays) < 0 or self.meter_interval_s <= 0:
            raise ValueError("delays must be >= 0 and meter_interval_s > 0")
        if self.max_page_size < 1:
            raise ValueError("max_page_size must be at least 1")
        if not self.users or not all(name.strip() for name in self.users):
            raise ValueError("users must hold at least one non-empty name")
        if self.edrv_dialect not in EDRV_DIALECTS:
            raise ValueError(f"edrv_dialect must be one of {', '.join(EDRV_DIALECTS)}")
        if self.thor_dialect not in THOR_DIALECTS:
            raise ValueError(f"thor_dialect must be one of {', '.join(THOR_DIALECTS)}")
        if self.variant not in VARIANT_MODES:
            raise ValueError(f"variant must be one of {', '.join(VARIANT_MODES)}")

    def quirky(self, index: int) -> bool:
        """Tell whether the object with this sequence number uses the quirky spellings."""
        if self.variant == "alternate":
            return index % 2 == 1
        return self.variant == "quirky"
