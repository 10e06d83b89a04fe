"""eDRV REST API v1.1: client and webhook decoder."""

from .client import DEFAULT_BASE_URL, EdrvClient
from .parse import EDRV_CAPABILITIES
from .webhook import SIGNATURE_HEADER, EdrvWebhookDecoder

__all__ = [
    "DEFAULT_BASE_URL",
    "EDRV_CAPABILITIES",
    "SIGNATURE_HEADER",
    "EdrvClient",
    "EdrvWebhookDecoder",
]
