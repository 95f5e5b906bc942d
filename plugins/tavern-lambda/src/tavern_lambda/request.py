"""``lambda_request``: one Invoke of one function, formatted from the test's variables."""

from __future__ import annotations

from typing import Any

from box import Box
from tavern._core import exceptions
from tavern._core.dict_util import format_keys
from tavern._core.extfunctions import update_from_ext
from tavern._core.pytest.config import TestConfig
from tavern.request import BaseRequest

from tavern_lambda.client import LambdaInvocation, LambdaSession, StackLookupError

REQUEST_KEYS = frozenset({"function", "payload", "invocation_type", "qualifier", "log_type"})
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


class LambdaRequest(BaseRequest):  # type: ignore[misc]  # tavern ships no type hints
    """Invokes the stage's function through the test's ``LambdaSession``."""

    def __init__(
        self, session: LambdaSession, rspec: dict[str, Any], test_block_config: TestConfig
    ) -> None:
        unknown = set(rspec) - REQUEST_KEYS
        if unknown:
            raise exceptions.BadSchemaError(
                f"unknown key(s) in lambda_request: {sorted(unknown)} "
                f"(expected some of {sorted(REQUEST_KEYS)})"
            )
        if "function" not in rspec:
            raise exceptions.MissingKeysError("lambda_request needs a 'function'")
        spec: dict[str, Any] = format_keys(rspec, test_block_config.variables)
        # As Tavern's json: block, the payload may come from a $ext function.
        update_from_ext(spec, ["payload"])
        invocation_type = spec.get("invocation_type") or "RequestResponse"
        if invocation_type not in INVOCATION_TYPES:
            raise exceptions.BadSchemaError(
                f"invocation_type must be one of {', '.join(INVOCATION_TYPES)}, "
                f"got {invocation_type!r}"
            )
        self._session = session
        self._spec = spec
        self._invocation_type = invocation_type

    def run(self) -> LambdaInvocation:
        try:
            return self._session.invoke(
                str(self._spec["function"]),
                self._spec.get("payload"),
                invocation_type=self._invocation_type,
                qualifier=self._spec.get("qualifier") or None,
                log_type=self._spec.get("log_type") or None,
                has_payload="payload" in self._spec,
            )
        except StackLookupError as err:
            raise exceptions.TavernException(str(err)) from err

    @property
    def request_vars(self) -> Box:
        return Box(self._spec)
