"""Revert tokens: drawn at random, kept only as a SHA-256 digest, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token() -> str:
    """A fresh revert token: 256 random bits, URL-safe base64."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a revert token: the only form in which it is kept.

    Any header value hashes (a lone surrogate just cannot match), so it is a 403, never a 500.
    """
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).hexdigest()


def token_matches(token: str, token_hash: str | None) -> bool:
    """Whether ``token`` is the one whose digest the record keeps."""
    return token_hash is not None and hmac.compare_digest(hash_token(token), token_hash)
