"""A stand-in for the eDRV and Thor clouds, served by one aiohttp server."""

from .app import Simulator
from .config import SimulatorConfig
from .errors import SimulatorError
from .faults import Faults

__all__ = ["Faults", "Simulator", "SimulatorConfig", "SimulatorError"]
