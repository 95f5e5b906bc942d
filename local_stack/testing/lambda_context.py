"""The Lambda context object a handler gets, faked for calling handlers in this process."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from local_stack.account import ACCOUNT_ID, REGION

REMAINING_TIME_MILLIS = 10_000


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes and method of the Python runtime's context object that handlers read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "2026/01/31/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        """Always the same ample time: in-process calls have no deadline."""
        return REMAINING_TIME_MILLIS


def lambda_context(function_name: str, memory_mb: int = 128) -> FakeLambdaContext:
    """A context for ``function_name`` in the local account, with a fresh request id."""
    return FakeLambdaContext(
        function_name=function_name,
        memory_limit_in_mb=memory_mb,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}",
        log_group_name=f"/aws/lambda/{function_name}",
    )
