"""Constants of the cpms integration."""

from typing import Final

DOMAIN: Final = "cpms"
