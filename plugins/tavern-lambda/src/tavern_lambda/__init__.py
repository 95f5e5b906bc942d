"""tavern-lambda: Tavern stages that invoke AWS Lambda functions (``lambda_request``)."""

from __future__ import annotations

from tavern_lambda.client import LambdaInvocation, LambdaSession, StackLookupError

__all__ = ["LambdaInvocation", "LambdaSession", "StackLookupError"]
