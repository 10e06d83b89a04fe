"""Errors raised by the provider clients and webhook decoders."""

from __future__ import annotations


class CpmsError(Exception):
    """Base class of every provider error."""


class CpmsAuthenticationError(CpmsError):
    """The API key was refused; `code` tells why when the provider says."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        """Keep the provider's code (for example Thor's RestAPINotEnabled)."""
        super().__init__(message)
        self.code = code


class CpmsAccessDeniedError(CpmsError):
    """The key is valid, but the cloud refuses this call from here; a new key would not help.

    `code` is the provider's reason, for example Thor's RestAPINotEnabled or
    InvalidSourceIPAddr, or APIKeyNotFound from every host that takes commands.
    """

    def __init__(self, message: str, *, code: str) -> None:
        """Keep the provider's code."""
        super().__init__(message)
        self.code = code


class CpmsConnectionError(CpmsError):
    """The cloud could not be reached (timeout, DNS, TLS), or failed to answer (5xx)."""


class CpmsUnreachableError(CpmsConnectionError):
    """The request never reached the cloud (name lookup or connection refused)."""


class CpmsServerError(CpmsConnectionError):
    """The cloud was reached and failed (HTTP 5xx, Thor's InternalServerError)."""


class CpmsRateLimitError(CpmsError):
    """Too many requests; `retry_after` is in seconds when the provider says."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Keep the provider's back-off hint."""
        super().__init__(message)
        self.retry_after = retry_after


class CpmsNotFoundError(CpmsError):
    """The station, connector or session does not exist."""


class CpmsStationOfflineError(CpmsError):
    """The station is not connected to the cloud."""


class CpmsRejectedError(CpmsError):
    """The provider refused the command, with its own code and message."""

    def __init__(self, code: str, message: str) -> None:
        """Keep the provider's code, for example AlreadyInTransaction."""
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class CpmsResponseError(CpmsError):
    """The provider answered with something this client cannot read."""


class WebhookError(CpmsError):
    """A webhook delivery was refused; nothing of it may be applied."""


class WebhookSignatureError(WebhookError):
    """The signature is missing, wrong or outside the replay window."""


class WebhookPayloadError(WebhookError):
    """The body is not a payload this decoder understands."""


class WebhookUnknownStationError(WebhookError):
    """The payload names a station that is not on this account."""
