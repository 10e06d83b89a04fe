"""Provider layer: async clients and webhook decoders for eDRV and Thor.

Nothing here imports Home Assistant; every client takes an injected
aiohttp.ClientSession that its caller owns.
"""

from .client import CpmsClient, CurrentLimitClient, SessionTargetClient, WebhookDecoder
from .edrv import EdrvClient, EdrvWebhookDecoder
from .errors import (
    CpmsAccessDeniedError,
    CpmsAuthenticationError,
    CpmsConnectionError,
    CpmsError,
    CpmsNotFoundError,
    CpmsRateLimitError,
    CpmsRejectedError,
    CpmsResponseError,
    CpmsServerError,
    CpmsStationOfflineError,
    CpmsUnreachableError,
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
from .observe import CloudObservations
from .thor import ThorClient, ThorWebhookDecoder

__all__ = [
    "Capabilities",
    "CloudObservations",
    "CommandResultEvent",
    "Connector",
    "ConnectorStatus",
    "ConnectorStatusEvent",
    "CpmsAccessDeniedError",
    "CpmsAuthenticationError",
    "CpmsClient",
    "CpmsConnectionError",
    "CpmsError",
    "CpmsNotFoundError",
    "CpmsRateLimitError",
    "CpmsRejectedError",
    "CpmsResponseError",
    "CpmsServerError",
    "CpmsStationOfflineError",
    "CpmsUnreachableError",
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
