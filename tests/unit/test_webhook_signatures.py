"""Webhook signatures, checked against vectors computed the way the senders compute them.

Shopify (its docs, Ruby): Base64.strict_encode64(OpenSSL::HMAC.digest('sha256', secret, raw))
WooCommerce (WC_Webhook::generate_signature, PHP):
    base64_encode(hash_hmac('sha256', $payload, $secret, true))
Both are base64 of the raw HMAC-SHA256 digest of the body as sent. The fixed vector is the
well-known HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from brevo_sync.entrypoints.web.signatures import (
    base64_signature,
    own_signature,
    valid_base64_signature,
    valid_own_signature,
    valid_token,
)

FOX = b"The quick brown fox jumps over the lazy dog"
FOX_HEX = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
FOX_B64 = "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="

# A body as a shop sends it: the bytes, not a re-encoding (spacing and key order kept).
SHOPIFY_BODY = b'{"id":820982911946154508,"total_price":"7200.00","note":"caf\xc3\xa9"}'


def sender_signature(secret: str, body: bytes) -> str:
    """What Shopify's and WooCommerce's code put in their headers."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def test_known_vector() -> None:
    assert base64_signature("key", FOX) == FOX_B64
    assert own_signature("key", FOX) == f"sha256={FOX_HEX}"
    assert valid_base64_signature("key", FOX, FOX_B64)
    assert valid_own_signature("key", FOX, f"sha256={FOX_HEX}")
    assert valid_own_signature("key", FOX, f"SHA256={FOX_HEX.upper()}")


@pytest.mark.parametrize("secret", ["hush", "wc_secret_&amp;", "ünï"])
def test_shop_signatures_over_raw_bytes(secret: str) -> None:
    header = sender_signature(secret, SHOPIFY_BODY)
    assert valid_base64_signature(secret, SHOPIFY_BODY, header)
    reencoded = b'{"id": 820982911946154508, "total_price": "7200.00", "note": "caf\\u00e9"}'
    assert not valid_base64_signature(secret, reencoded, header)  # same JSON, other bytes
    assert not valid_base64_signature(secret + "x", SHOPIFY_BODY, header)


@pytest.mark.parametrize(
    "header", [None, "", "not base64!", FOX_HEX, "sha256=" + FOX_B64, FOX_B64[:-4]]
)
def test_wrong_base64_signatures(header: str | None) -> None:
    assert not valid_base64_signature("key", FOX, header)


@pytest.mark.parametrize(
    "header", [None, "", FOX_HEX, f"sha1={FOX_HEX}", "sha256=zz", f"sha256={FOX_HEX[:-2]}"]
)
def test_wrong_own_signatures(header: str | None) -> None:
    assert not valid_own_signature("key", FOX, header)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_brevo_token_as_bearer_or_basic_password() -> None:
    assert valid_token("t0ken-123", "Bearer t0ken-123")
    assert valid_token("t0ken-123", "bearer   t0ken-123 ")
    assert valid_token("t0ken-123", _basic("brevo", "t0ken-123"))
    assert valid_token("t0ken-123", _basic("", "t0ken-123"))


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer t0ken-12",
        "Bearer t0ken-1234",
        "Token t0ken-123",
        "t0ken-123",
        "Basic !!!",
        _basic("t0ken-123", "x"),
        "Basic " + base64.b64encode(b"\xff\xfe:t0ken-123").decode(),
    ],
)
def test_wrong_tokens(header: str | None) -> None:
    assert not valid_token("t0ken-123", header)
