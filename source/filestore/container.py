"""The container's one FileService, built lazily from the environment; tests swap it."""

from __future__ import annotations

from functools import cache

from filestore.clients import dynamodb_client, s3_client
from filestore.service import FileService
from runtime_context import get_settings

_override: FileService | None = None


@cache
def _default_service() -> FileService:
    return FileService(get_settings(), dynamodb_client(), s3_client())


def get_service() -> FileService:
    """The service the handlers use: the test override if set, else the cached default."""
    return _override if _override is not None else _default_service()


def use_service(service: FileService | None) -> None:
    """Make the handlers use ``service`` (None: back to the default built from the env)."""
    global _override
    _override = service


def reset() -> None:
    """Forget the override and every cached client, settings and service (for tests)."""
    use_service(None)
    _default_service.cache_clear()
    dynamodb_client.cache_clear()
    s3_client.cache_clear()
    get_settings.cache_clear()
