"""eDRV webhook signatures, in each variant the documentation leaves open."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import TYPE_CHECKING

from .dialects import escape_non_ascii

if TYPE_CHECKING:
    from collections.abc import Callable

    from .dialects import Dialects, SignatureScheme

type Signer = Callable[[bytes], dict[str, str]]

SIGNATURE_HEADER = "edrv-signature"


def edrv_signature(
    secret: str,
    body: bytes,
    *,
    scheme: SignatureScheme,
    in_ms: bool,
    now: float,
    escaped: bool = False,
) -> str:
    r"""Return the `edrv-signature` header value for `body` sent at wall time `now`.

    With `escaped`, the HMAC covers the body with non-ASCII written as `\uXXXX`, while the
    body itself goes out as UTF-8.
    """
    key = secret.encode()
    signed = escape_non_ascii(body) if escaped else body
    if scheme == "legacy":
        return "sha256=" + hmac.new(key, signed, hashlib.sha256).hexdigest()
    stamp = str(int(now * 1000) if in_ms else int(now))
    message = signed if scheme == "v1_body" else stamp.encode() + b"." + signed
    return f"t={stamp},v1={hmac.new(key, message, hashlib.sha256).hexdigest()}"


def edrv_signer(secret: str | None, dialects: Dialects) -> Signer | None:
    """Return the header maker for eDRV deliveries, or None when no secret is configured."""
    if not secret:
        return None

    def sign(body: bytes) -> dict[str, str]:
        # The receiver checks t against its real clock, so it is wall time, not simulated time.
        dialect = dialects.edrv
        value = edrv_signature(
            secret,
            body,
            scheme=dialect.signature,
            in_ms=dialect.signature_ms,
            now=time.time(),
            escaped=dialect.signature_escaped,
        )
        return {SIGNATURE_HEADER: value}

    return sign
