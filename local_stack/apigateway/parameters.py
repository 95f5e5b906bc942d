"""Evaluates API Gateway mapping expressions such as "'*'" or "method.request.header.Origin"."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestValues:
    """The parts of the client's request a mapping expression may read."""

    headers: Sequence[tuple[str, str]]
    query: Sequence[tuple[str, str]]
    path_parameters: Mapping[str, str]


def evaluate(expression: str, request: RequestValues) -> str | None:
    """The value of a response-parameter expression, or None when it selects nothing."""
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]  # a static value, written in single quotes
    source, _, name = expression.partition(".request.")
    if source == "method":
        kind, _, key = name.partition(".")
        if kind == "header":
            # The last value of a repeated header, names compared case-insensitively.
            values = [v for k, v in request.headers if k.lower() == key.lower()]
            return values[-1] if values else None
        if kind == "querystring":
            values = [v for k, v in request.query if k == key]
            return values[-1] if values else None
        if kind == "path":
            return request.path_parameters.get(key)
    # integration.response.*, stageVariables.* and context variables select nothing locally.
    return None


def header_parameters(
    parameters: Mapping[str, str], prefix: str, request: RequestValues
) -> list[tuple[str, str]]:
    """Headers from responseParameters such as {"<prefix>Access-Control-Allow-Origin": "'*'"}."""
    headers = []
    for target, expression in parameters.items():
        if not target.startswith(prefix):
            continue
        value = evaluate(str(expression), request)
        if value is not None:
            headers.append((target[len(prefix) :], value))
    return headers
