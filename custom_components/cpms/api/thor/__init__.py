"""Thor (thor.tools) integration API: REST client and notification decoder."""

from .client import DEFAULT_BASE_URL, ThorClient
from .parse import THOR_CAPABILITIES
from .webhook import ThorWebhookDecoder

__all__ = ["DEFAULT_BASE_URL", "THOR_CAPABILITIES", "ThorClient", "ThorWebhookDecoder"]
