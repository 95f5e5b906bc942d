"""Calling moto's S3 WSGI app in process and holding its answer for the endpoint to finish."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree

from local_stack.s3 import errors

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class BackendResponse:
    """moto's (or the endpoint's own) answer: status line, headers, body iterable."""

    status: str
    headers: list[tuple[str, str]]
    body: Iterable[bytes]

    @property
    def status_code(self) -> int:
        return int(self.status.split(" ", 1)[0])

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((value for key, value in self.headers if key.lower() == lower), None)

    def read(self) -> bytes:
        """Consume (and close) the body; only for the small XML bodies the endpoint inspects."""
        try:
            data = b"".join(self.body)
        finally:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        self.body = [data]
        return data


def internal_error() -> errors.S3Error:
    message = "We encountered an internal error. Please try again."
    return errors.S3Error(500, "InternalError", message)


def call_backend(backend: WSGIApplication, environ: WSGIEnvironment) -> BackendResponse:
    """Run one request on ``backend``; a failure inside it is S3's 500 InternalError."""
    captured: dict[str, Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        captured["status"] = status
        captured["headers"] = list(headers)
        return lambda _data: None

    try:
        result = backend(environ, start_response)
        body: Iterable[bytes] = result
        if "status" not in captured:  # a lazy app starts the response on first iteration
            iterator = iter(result)
            first = next(iterator, b"")
            body = _Chained(first, iterator, result)
    except Exception as err:
        logger.exception("The S3 backend failed")
        raise internal_error() from err
    return BackendResponse(captured["status"], captured["headers"], body)


def environ_name(header: str) -> str:
    upper = header.upper().replace("-", "_")
    return upper if upper in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{upper}"


def is_error_document(data: bytes) -> bool:
    if b"<Error>" not in data:
        return False
    try:
        return ElementTree.fromstring(data).tag == "Error"  # noqa: S314 - moto's own XML
    except ElementTree.ParseError:
        return False


class _Chained:
    """A WSGI body whose first chunk was already pulled; ``close`` reaches the original."""

    def __init__(self, first: bytes, rest: Iterator[bytes], original: Iterable[bytes]) -> None:
        self._first = first
        self._rest = rest
        self._original = original

    def __iter__(self) -> Iterator[bytes]:
        yield self._first
        yield from self._rest

    def close(self) -> None:
        close = getattr(self._original, "close", None)
        if close is not None:
            close()
