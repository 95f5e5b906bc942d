"""MOCK integrations (used for CORS OPTIONS methods): answered by API Gateway itself."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_stack.apigateway.media_types import essence
from local_stack.apigateway.parameters import RequestValues, header_parameters
from local_stack.apigateway.templates import render, select_template

_STATUS_IN_TEMPLATE = re.compile(r'"statusCode"\s*:\s*"?(\d{3})"?')


class UnsupportedMediaTypeError(Exception):
    """No request template for the Content-Type and passthrough is not allowed (AWS: 415)."""


@dataclass(frozen=True)
class MockResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _integration_status(integration: Mapping[str, Any], content_type: str) -> int:
    templates: Mapping[str, str] = integration.get("requestTemplates") or {}
    template = templates.get(content_type)
    if template is None:
        behavior = str(integration.get("passthroughBehavior", "when_no_match")).lower()
        if behavior == "never" or (behavior == "when_no_templates" and templates):
            raise UnsupportedMediaTypeError(content_type)
        return 200  # passthrough: the mock's request has no statusCode; API Gateway uses 200
    match = _STATUS_IN_TEMPLATE.search(template)
    return int(match.group(1)) if match else 200


def _select_response(responses: Mapping[str, Any], status: int) -> Mapping[str, Any]:
    # Integration responses are keyed by selectionPattern (a regex over the integration's status
    # for a mock); "default" answers when no pattern matches.
    for pattern, response in responses.items():
        if pattern != "default" and re.fullmatch(pattern, str(status)):
            return dict(response)
    return dict(responses.get("default") or {})


def answer(
    integration: Mapping[str, Any],
    request: RequestValues,
    content_type: str | None,
    context: Mapping[str, str],
) -> MockResponse:
    """The mock's response: status from requestTemplates, headers from responseParameters."""
    # AWS quirk: a request without Content-Type is treated as application/json.
    status = _integration_status(integration, essence(content_type) or "application/json")
    response = _select_response(integration.get("responses") or {}, status)
    method_status = int(response.get("statusCode", status))
    headers = header_parameters(
        response.get("responseParameters") or {}, "method.response.header.", request
    )
    template = select_template(response.get("responseTemplates") or {}, "application/json")
    body = render(template or "", context).encode("utf-8")
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return MockResponse(method_status, headers, body)
