"""eDRV webhook signatures, in each variant the documentation leaves open."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import SignatureScheme, SimulatorConfig

type Signer = Callable[[bytes], dict[str, str]]

SIGNATURE_HEADER = "edrv-signature"


def edrv_signature(
    secret: str, body: bytes, *, scheme: SignatureScheme, in_ms: bool, now: float
) -> str:
    """Return the `edrv-signature` header value for `body` sent at wall time `now`."""
    key = secret.encode()
    if scheme == "legacy":
        return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    stamp = str(int(now * 1000) if in_ms else int(now))
    message = body if scheme == "v1_body" else stamp.encode() + b"." + body
    return f"t={stamp},v1={hmac.new(key, message, hashlib.sha256).hexdigest()}"


def edrv_signer(config: SimulatorConfig) -> Signer | None:
    """Return the header maker for eDRV deliveries, or None when no secret is configured."""
    secret = config.edrv_webhook_secret
    if not secret:
        return None

    def sign(body: bytes) -> dict[str, str]:
        # The receiver checks t against its real clock, so it is wall time, not simulated time.
        value = edrv_signature(
            secret,
            body,
            scheme=config.edrv_signature,
            in_ms=config.edrv_signature_ms,
            now=time.time(),
        )
        return {SIGNATURE_HEADER: value}

    return sign
