"""The session a test's Lambda stages share: a boto3 lambda client and the stack lookup."""

from __future__ import annotations

import base64
import json
import logging
import os
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

STACK_VARIABLE = "TAVERN_LAMBDA_STACK"
FUNCTION_RESOURCE_TYPE = "AWS::Lambda::Function"
# The statuses Lambda answers for each invocation type when the invocation was accepted.
SUCCESS_STATUS = {"RequestResponse": 200, "Event": 202, "DryRun": 204}

logger = logging.getLogger(__name__)


class StackLookupError(LookupError):
    """A logical id could not be resolved to a function of the stack."""


@dataclass(frozen=True)
class LambdaInvocation:
    """What Lambda answered to one Invoke: the values a ``lambda_response`` checks."""

    function_name: str  # as invoked (after the stack lookup)
    invocation_type: str
    status_code: int
    payload: Any  # the payload parsed as JSON; the raw text when it is not JSON; None if empty
    function_error: str | None
    executed_version: str | None
    log: str | None  # the decoded X-Amz-Log-Result (LogType Tail)
    request_id: str
    refusal: dict[str, str] | None = None  # {"code", "message"} when Lambda refused the Invoke

    @property
    def error_summary(self) -> str:
        """``errorType: errorMessage`` of a function error, as Lambda's runtimes report it."""
        if isinstance(self.payload, dict):
            kind = self.payload.get("errorType", "Error")
            return f"{kind}: {self.payload.get('errorMessage', '')}"
        return str(self.payload)


def _given(value: str | None) -> str | None:
    """An empty option counts as unset, so a Tavern file can format it from an empty variable."""
    return value if value else None


class LambdaSession:
    """A boto3 lambda client (the usual boto3 configuration applies) and the stack to resolve in.

    Every option may be left out: boto3 then reads ``AWS_ENDPOINT_URL_LAMBDA``, ``AWS_PROFILE``,
    ``AWS_REGION`` and the credential chain as everywhere. ``stack`` defaults to the
    ``TAVERN_LAMBDA_STACK`` environment variable.
    """

    def __init__(
        self,
        *,
        stack: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_session_token: str | None = None,
        environ: dict[str, str] | None = None,
        boto3_session: boto3.session.Session | None = None,
    ) -> None:
        environment = os.environ if environ is None else environ
        self.stack = _given(stack) or _given(environment.get(STACK_VARIABLE, "").strip())
        self._session = boto3_session or boto3.session.Session(
            profile_name=_given(profile),
            region_name=_given(region),
            aws_access_key_id=_given(aws_access_key_id),
            aws_secret_access_key=_given(aws_secret_access_key),
            aws_session_token=_given(aws_session_token),
        )
        self._endpoint_url = _given(endpoint_url)
        self._lambda: Any = None
        self._cloudformation: Any = None
        self._physical_names: dict[str, str] = {}

    def __enter__(self) -> LambdaSession:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for client in (self._lambda, self._cloudformation):
            if client is not None:
                client.close()

    @property
    def lambda_client(self) -> Any:
        if self._lambda is None:
            # None leaves the endpoint to boto3 (AWS_ENDPOINT_URL_LAMBDA, or AWS itself).
            self._lambda = self._session.client("lambda", endpoint_url=self._endpoint_url)
        return self._lambda

    @property
    def cloudformation_client(self) -> Any:
        if self._cloudformation is None:
            self._cloudformation = self._session.client("cloudformation")
        return self._cloudformation

    def function_name(self, function: str) -> str:
        """The name to invoke: a logical id of the stack becomes its physical name.

        Without a stack, or for an ARN (it holds ``:``), ``function`` is used as given.
        """
        if self.stack is None or ":" in function:
            return function
        if function not in self._physical_names:
            self._physical_names[function] = self._describe(function)
        return self._physical_names[function]

    def _describe(self, logical_id: str) -> str:
        try:
            answer = self.cloudformation_client.describe_stack_resource(
                StackName=self.stack, LogicalResourceId=logical_id
            )
        except ClientError as err:
            raise StackLookupError(
                f"stack {self.stack!r} has no resource {logical_id!r}: {err}"
            ) from err
        detail = answer["StackResourceDetail"]
        if detail.get("ResourceType") != FUNCTION_RESOURCE_TYPE:
            raise StackLookupError(
                f"{logical_id!r} in stack {self.stack!r} is a {detail.get('ResourceType')}, "
                f"not an {FUNCTION_RESOURCE_TYPE}"
            )
        physical: str = detail["PhysicalResourceId"]
        logger.debug("%s in stack %s is %s", logical_id, self.stack, physical)
        return physical

    def invoke(
        self,
        function: str,
        payload: Any,
        *,
        invocation_type: str = "RequestResponse",
        qualifier: str | None = None,
        log_type: str | None = None,
        has_payload: bool = True,
    ) -> LambdaInvocation:
        """Invoke ``function`` once; a refusal (``ClientError``) is an answer with ``refusal``."""
        name = self.function_name(function)
        arguments: dict[str, Any] = {"FunctionName": name, "InvocationType": invocation_type}
        if has_payload:
            arguments["Payload"] = json.dumps(payload).encode("utf-8")
        if qualifier:
            arguments["Qualifier"] = qualifier
        if log_type:
            arguments["LogType"] = log_type
        try:
            answer = self.lambda_client.invoke(**arguments)
        except ClientError as err:
            error = err.response.get("Error", {})
            return LambdaInvocation(
                function_name=name,
                invocation_type=invocation_type,
                status_code=int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)),
                payload=None,
                function_error=None,
                executed_version=None,
                log=None,
                request_id=err.response.get("ResponseMetadata", {}).get("RequestId", ""),
                refusal={"code": error.get("Code", ""), "message": error.get("Message", "")},
            )
        except BotoCoreError:
            logger.exception("invoking %s failed", name)
            raise
        raw = answer["Payload"].read() if "Payload" in answer else b""
        log = answer.get("LogResult")
        return LambdaInvocation(
            function_name=name,
            invocation_type=invocation_type,
            status_code=int(answer["StatusCode"]),
            payload=_parse_payload(raw),
            function_error=answer.get("FunctionError"),
            executed_version=answer.get("ExecutedVersion"),
            log=base64.b64decode(log).decode("utf-8", "replace") if log else None,
            request_id=answer.get("ResponseMetadata", {}).get("RequestId", ""),
        )


def _parse_payload(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")
