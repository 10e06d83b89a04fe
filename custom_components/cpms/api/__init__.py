"""Provider layer: async clients and webhook decoders for eDRV and Thor.

Nothing here imports Home Assistant; every client takes an injected
aiohttp.ClientSession that its caller owns.
"""

from .client import CpmsClient, CurrentLimitClient, SessionTargetClient, WebhookDecoder
from .edrv import EdrvClient, EdrvWebhookDecoder
from .errors import (
    CpmsAuthenticationError,
    CpmsConnectionError,
    CpmsError,
    CpmsNotFoundError,
    CpmsRateLimitError,
    CpmsRejectedError,
    CpmsResponseError,
    CpmsStationOfflineError,
    WebhookError,
    WebhookPayloadError,
    WebhookSignatureError,
    WebhookUnknownStationError,
)
from .http import RetryPolicy
from .models import (
    Capabilities,
    CommandResultEvent,
    Connector,
    ConnectorStatus,
    ConnectorStatusEvent,
    Event,
    MeterValuesEvent,
    Money,
    Provider,
    Session,
    SessionEvent,
    SessionRef,
    SessionStatus,
    Station,
    StationOnlineEvent,
    User,
)
from .thor import ThorClient, ThorWebhookDecoder

__all__ = [
    "Capabilities",
    "CommandResultEvent",
    "Connector",
    "ConnectorStatus",
    "ConnectorStatusEvent",
    "CpmsAuthenticationError",
    "CpmsClient",
    "CpmsConnectionError",
    "CpmsError",
    "CpmsNotFoundError",
    "CpmsRateLimitError",
    "CpmsRejectedError",
    "CpmsResponseError",
    "CpmsStationOfflineError",
    "CurrentLimitClient",
    "EdrvClient",
    "EdrvWebhookDecoder",
    "Event",
    "MeterValuesEvent",
    "Money",
    "Provider",
    "RetryPolicy",
    "Session",
    "SessionEvent",
    "SessionRef",
    "SessionStatus",
    "SessionTargetClient",
    "Station",
    "StationOnlineEvent",
    "ThorClient",
    "ThorWebhookDecoder",
    "User",
    "WebhookDecoder",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSignatureError",
    "WebhookUnknownStationError",
]
