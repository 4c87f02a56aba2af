"""Who may call a webhook: signatures over the raw body, and Brevo's token.

- Shopify: `X-Shopify-Hmac-Sha256` = base64(HMAC-SHA256(secret, raw body)).
- WooCommerce: `X-WC-Webhook-Signature`, the same scheme with the webhook's secret.
- Our own orders and subscriptions: `X-Brevo-Sync-Signature: sha256=<hex HMAC-SHA256>`.
- Brevo's CRM webhooks are not signed: `Authorization: Bearer <token>`, or basic auth with
  the token as the password (Brevo puts `user:password@` of the URL there).

Every comparison is constant-time (`hmac.compare_digest`), over the bytes as received: a body
re-encoded after parsing would not match.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

OWN_PREFIX = "sha256="


def hmac_digest(secret: str, body: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def base64_signature(secret: str, body: bytes) -> str:
    """What Shopify and WooCommerce send for `body`."""
    return base64.b64encode(hmac_digest(secret, body)).decode("ascii")


def own_signature(secret: str, body: bytes) -> str:
    """What `X-Brevo-Sync-Signature` carries for `body`: `sha256=<hex>`."""
    return OWN_PREFIX + hmac_digest(secret, body).hex()


def valid_base64_signature(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    try:
        given = base64.b64decode(header.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    return hmac.compare_digest(given, hmac_digest(secret, body))


def valid_own_signature(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    text = header.strip()
    if not text.lower().startswith(OWN_PREFIX):
        return False
    try:
        given = bytes.fromhex(text[len(OWN_PREFIX) :])
    except ValueError:
        return False
    return hmac.compare_digest(given, hmac_digest(secret, body))


def valid_token(token: str, authorization: str | None) -> bool:
    """`Bearer <token>`, or `Basic base64(<any user>:<token>)`."""
    if not authorization:
        return False
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        given = value
    elif scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return False
        given = decoded.partition(":")[2]
    else:
        return False
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))
