"""Swagger pieces for the local API Gateway's unit tests."""

from __future__ import annotations

from typing import Any


def lambda_proxy(function_name: str) -> dict[str, Any]:
    """An `x-amazon-apigateway-integration` that proxies to a Lambda function (REST v1)."""
    return {
        "type": "aws_proxy",
        "httpMethod": "POST",
        "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}/invocations",
    }
