"""Revert tokens: drawn at random, kept only as a SHA-256 digest, checked in one place."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from filestore.errors import FileNotFound, InvalidRevertToken

if TYPE_CHECKING:
    from filestore.models import FileId, FileRecord
    from filestore.repository import FileRepository


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


def authorized_record(files: FileRepository, file_id: FileId, token: str) -> FileRecord:
    """The record ``token`` opens (revert, status, parts, complete): 404 for an unknown id, 403
    for another file's token. Every route that takes X-Revert-Token checks it here."""
    record = files.get(file_id)
    if record is None:
        raise FileNotFound(f"file {file_id} does not exist")
    if not token_matches(token, record.revert_token_hash):
        raise InvalidRevertToken("the revert token does not match this file")
    return record
