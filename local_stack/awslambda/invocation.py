"""Types shared by the local stack's parts that invoke functions (gateway, events, scheduler)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# Lambda's synchronous request payload limit: an Invoke whose event, as JSON, is larger is
# refused ("Request must be smaller than 6291456 bytes for the InvokeFunction operation").
MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024


@dataclass(frozen=True)
class InvocationResult:
    """What a Lambda invocation returned: a JSON payload, or an error as Lambda reports it."""

    payload: Any = None
    error: dict[str, Any] | None = None  # {"errorMessage": ..., "errorType": ...} on failure
    duration_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None


class Invoker(Protocol):
    """Runs one function (by logical id) with one event, synchronously, like ``Invoke``."""

    def __call__(self, function_name: str, event: dict[str, Any]) -> InvocationResult: ...


class FunctionNotFoundError(LookupError):
    """The template (after its conditions) has no function with that logical id."""
