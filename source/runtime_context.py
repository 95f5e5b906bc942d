"""The Lambdas' configuration, read once from the environment the SAM template sets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

MAX_PRESIGN_SECONDS = 604_800  # SigV4 presigned URLs live at most seven days
MIN_PART_SIZE = 5 * 1024**2  # S3: every part but the last holds at least 5 MiB
MAX_PART_SIZE = 5 * 1024**3  # S3: no part (and no single PUT) holds more than 5 GiB
TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})


class ConfigurationError(RuntimeError):
    """An environment variable the functions need is missing or malformed."""


class Settings(NamedTuple):
    """Everything the functions read from their environment (see docs/ARCHITECTURE.md)."""

    table_name: str
    bucket_name: str
    store_on_upload: bool
    signed_url_expiration: int
    max_file_size: int
    allowed_types: tuple[str, ...]
    allowed_origin: str
    upload_timeout: int
    multipart_threshold: int
    part_size: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from ``environ``, naming the variable in any error."""
        return cls(
            table_name=_text(environ, "TABLE_NAME"),
            bucket_name=_text(environ, "BUCKET_NAME"),
            store_on_upload=_boolean(environ, "STORE_ON_UPLOAD"),
            signed_url_expiration=_integer(
                environ, "SIGNED_URL_EXPIRATION", minimum=1, maximum=MAX_PRESIGN_SECONDS
            ),
            max_file_size=_integer(environ, "MAX_FILE_SIZE", minimum=1),
            allowed_types=_patterns(environ, "ALLOWED_TYPES"),
            allowed_origin=_text(environ, "ALLOWED_ORIGIN"),
            upload_timeout=_integer(environ, "UPLOAD_TIMEOUT", minimum=1),
            multipart_threshold=_integer(
                environ, "MULTIPART_THRESHOLD", minimum=MIN_PART_SIZE, maximum=MAX_PART_SIZE
            ),
            part_size=_integer(environ, "PART_SIZE", minimum=MIN_PART_SIZE, maximum=MAX_PART_SIZE),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this container, read from ``os.environ`` on first use."""
    return Settings.from_environ(os.environ)


def _text(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is missing or empty")
    return value


def _boolean(environ: Mapping[str, str], name: str) -> bool:
    value = _text(environ, name).lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ConfigurationError(f"environment variable {name} must be True or False, not {value!r}")


def _integer(
    environ: Mapping[str, str], name: str, *, minimum: int, maximum: int | None = None
) -> int:
    value = _text(environ, name)
    try:
        number = int(value)
    except ValueError as err:
        raise ConfigurationError(
            f"environment variable {name} must be an integer, not {value!r}"
        ) from err
    if number < minimum or (maximum is not None and number > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise ConfigurationError(
            f"environment variable {name} must be at least {minimum}{upper}, not {number}"
        )
    return number


def _patterns(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    parts = (part.strip().lower() for part in _text(environ, name).split(","))
    patterns = tuple(part for part in parts if part)
    if not patterns:
        raise ConfigurationError(f"environment variable {name} lists no mime patterns")
    for pattern in patterns:
        if pattern != "*" and pattern.count("/") != 1:
            raise ConfigurationError(
                f"environment variable {name} holds {pattern!r},"
                " which is not *, type/* or type/subtype"
            )
    return patterns
