"""Swagger pieces for the local API Gateway's unit tests."""

from __future__ import annotations

from typing import Any

from local_stack.account import ACCOUNT_ID, REGION


def lambda_proxy(function_name: str) -> dict[str, Any]:
    """An `x-amazon-apigateway-integration` that proxies to a Lambda function (REST v1)."""
    return {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function_name}/invocations",
    }
