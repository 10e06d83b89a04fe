"""Provider errors as the translated messages a user sees."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from .api import (
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
)
from .const import DOMAIN

# Provider rejection codes with a message of their own; others show the provider's text.
_REJECTION_KEYS = {
    "AlreadyInTransaction": "already_in_transaction",
    "ChargeboxNotActive": "station_not_active",
    "ChargeboxNotFree": "not_free",
    "ConnectorNotValid": "connector_not_valid",
    "NotInTransaction": "not_in_transaction",
    "WrongTransaction": "wrong_transaction",
}


# Why a provider refuses a valid key, and the repair issue that says what to change.
_ACCESS_KEYS = {
    "RestAPINotEnabled": "rest_api_disabled",
    "InvalidSourceIPAddr": "ip_not_allowed",
    "APIKeyNotFound": "commands_refused",
}
ACCESS_ISSUE_KEYS = {code: f"access_{key}" for code, key in _ACCESS_KEYS.items()}


def translated_error(key: str, **placeholders: str) -> HomeAssistantError:
    """A HomeAssistantError whose message comes from the exceptions translations."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def error_from_cpms(err: CpmsError) -> HomeAssistantError:  # noqa: PLR0911
    """Map a failed command to the message that tells the user what happened."""
    match err:
        case CpmsAuthenticationError():
            return translated_error("authentication_failed")
        case CpmsAccessDeniedError(code=code):
            return translated_error(_ACCESS_KEYS.get(code, "access_denied"), error=str(err))
        case CpmsStationOfflineError():
            return translated_error("station_offline")
        case CpmsRateLimitError(retry_after=retry_after):
            return translated_error("rate_limited", retry_after=str(round(retry_after or 60)))
        case CpmsRejectedError(code=code, message=message) if code in _REJECTION_KEYS:
            return translated_error(_REJECTION_KEYS[code])
        case CpmsRejectedError(code=code, message=message):
            return translated_error("rejected", code=code, message=message or code)
        case CpmsNotFoundError():
            return translated_error("not_found", error=str(err))
        case CpmsServerError():
            return translated_error("cloud_failed", error=str(err))
        case CpmsConnectionError():
            return translated_error("cannot_connect", error=str(err))
        case CpmsResponseError():
            return translated_error("invalid_response", error=str(err))
    return translated_error("unknown_error", error=str(err))
