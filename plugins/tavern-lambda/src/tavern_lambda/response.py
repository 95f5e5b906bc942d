"""``lambda_response``: the status, function error and payload an Invoke must answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tavern._core import exceptions
from tavern._core.dict_util import check_keys_match_recursive
from tavern._core.pytest.config import TestConfig
from tavern.response import BaseResponse

from tavern_lambda.client import SUCCESS_STATUS, LambdaInvocation, LambdaSession

RESPONSE_KEYS = frozenset(
    {"status_code", "function_error", "payload", "error", "strict", "save", "verify_response_with"}
)
SAVE_KEYS = frozenset({"payload", "log", "$ext"})


class LambdaResponse(BaseResponse):  # type: ignore[misc]  # tavern ships no type hints
    """Checks one ``LambdaInvocation`` against the stage's ``lambda_response``."""

    def __init__(
        self,
        session: LambdaSession,
        name: str,
        expected: Mapping[str, Any],
        test_block_config: TestConfig,
    ) -> None:
        unknown = set(expected) - RESPONSE_KEYS
        if unknown:
            raise exceptions.BadSchemaError(
                f"unknown key(s) in lambda_response: {sorted(unknown)} "
                f"(expected some of {sorted(RESPONSE_KEYS)})"
            )
        unknown_saves = set(expected.get("save") or {}) - SAVE_KEYS
        if unknown_saves:
            raise exceptions.BadSchemaError(
                f"lambda_response can save {sorted(SAVE_KEYS)}, not {sorted(unknown_saves)}"
            )
        super().__init__(name, dict(expected), test_block_config)
        self._session = session

    def __str__(self) -> str:
        return repr(self.response) if self.response is not None else "<Not run yet>"

    def verify(self, response: LambdaInvocation) -> Mapping[str, Any]:
        self.response = response
        self._check_status(response)
        if response.refusal is not None:
            self._check_refusal(response)
        else:
            self._check_function_error(response)
            if "payload" in self.expected:
                strict = self.test_block_config.strict.option_for("json")
                self.recurse_check_key_match(
                    self.expected["payload"], response.payload, "payload", strict
                )
        self._maybe_run_validate_functions(response)
        saved = self._saved(response) if not self.errors else {}
        if self.errors:
            raise exceptions.TestFailError(
                f"Test '{self.name:s}' failed:\n{self._str_errors():s}", failures=self.errors
            )
        return saved

    def _check_status(self, response: LambdaInvocation) -> None:
        expected = self.expected.get("status_code")
        if expected is None:
            expected = SUCCESS_STATUS[response.invocation_type]
        allowed = expected if isinstance(expected, list) else [expected]
        if response.status_code not in [int(code) for code in allowed]:
            detail = ""
            if response.refusal is not None:
                detail = f" ({response.refusal['code']}: {response.refusal['message']})"
            self._adderr(
                "expected status %s from %s, got %s%s",
                expected,
                response.function_name,
                response.status_code,
                detail,
            )

    def _check_refusal(self, response: LambdaInvocation) -> None:
        if "error" in self.expected:
            self._match(self.expected["error"], response.refusal, "error")
        for key in ("payload", "function_error"):
            if key in self.expected:
                self._adderr("expected a %s, but Lambda refused the Invoke", key)

    def _check_function_error(self, response: LambdaInvocation) -> None:
        if "error" in self.expected:
            self._adderr("expected Lambda to refuse the Invoke (error), but it was accepted")
        if "function_error" not in self.expected:
            # A function error the stage does not expect fails the stage.
            if response.function_error is not None:
                self._adderr(
                    "%s failed (X-Amz-Function-Error: %s): %s",
                    response.function_name,
                    response.function_error,
                    response.error_summary,
                )
            return
        expected = self.expected["function_error"]
        if expected is None:
            if response.function_error is not None:
                self._adderr("expected no function error, got %s", response.error_summary)
            return
        if response.function_error is None:
            self._adderr(
                "expected a function error (%s), but %s succeeded", expected, response.function_name
            )
            return
        self._match(expected, response.function_error, "function_error")

    def _match(self, expected: Any, actual: Any, blockname: str) -> None:
        try:
            check_keys_match_recursive(
                expected, actual, [blockname], self.test_block_config.strict.option_for("json")
            )
        except exceptions.KeyMismatchError as err:
            self._adderr(err.args[0], e=err)

    def _saved(self, response: LambdaInvocation) -> dict[str, Any]:
        saved: dict[str, Any] = {}
        save = self.expected.get("save") or {}
        if "payload" in save:
            values = self.maybe_get_save_values_from_save_block("payload", response.payload)
            for name, value in values.items():
                if value is None:
                    # A JMESPath query that finds nothing gives None: saving it would only
                    # surface as a confusing failure in a later stage.
                    self._adderr(
                        "nothing at %r in the payload to save as %r", save["payload"][name], name
                    )
            saved.update(values)
        if "log" in save:
            saved[save["log"]] = response.log
        saved.update(self.maybe_get_save_values_from_ext(response, self.expected))
        return saved
