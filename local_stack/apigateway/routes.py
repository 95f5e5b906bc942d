"""Matches a request path and method against the swagger `paths`, the way API Gateway routes."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

# Swagger operation keys that API Gateway turns into methods (plus its own ANY extension).
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
ANY_METHOD = "x-amazon-apigateway-any-method"

_PARAM = re.compile(r"^\{([^{}+]+)\}$")
_GREEDY = re.compile(r"^\{([^{}+]+)\+\}$")


@dataclass(frozen=True)
class Route:
    """One swagger path with its operations, ready for matching."""

    resource: str  # the swagger path template, e.g. "/file/{id}" (the event's `resource`)
    segments: tuple[str, ...]
    operations: Mapping[str, Mapping[str, Any]]  # upper-case method (or "ANY") -> operation
    path_item: Mapping[str, Any]

    @property
    def resource_id(self) -> str:
        """A stable 6-character id, like API Gateway's resource ids (e.g. "a1b2c3")."""
        return hashlib.sha256(self.resource.encode()).hexdigest()[:6]

    def operation(self, method: str) -> Mapping[str, Any] | None:
        # AWS quirk: methods are case-sensitive ("get" matches nothing), HEAD is NOT answered by
        # a GET method, and ANY is only a fallback when the exact method is not defined.
        return self.operations.get(method) or self.operations.get("ANY")


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    method: str
    operation: Mapping[str, Any]
    path_parameters: dict[str, str]


def _split(path: str) -> list[str]:
    # AWS quirk: REST APIs ignore one trailing slash ("/files/" reaches "/files").
    stripped = path[1:] if path.startswith("/") else path
    if stripped.endswith("/"):
        stripped = stripped[:-1]
    return stripped.split("/") if stripped else []


def _specificity(route: Route) -> tuple[int, ...]:
    # API Gateway prefers literal segments over {param}, and {param} over {proxy+}.
    return tuple(2 if _GREEDY.match(s) else 1 if _PARAM.match(s) else 0 for s in route.segments)


class RouteTable:
    """All routes of one API, matched most specific first."""

    def __init__(self, paths: Mapping[str, Mapping[str, Any]]) -> None:
        routes = []
        for resource, path_item in paths.items():
            operations = {
                ("ANY" if key == ANY_METHOD else key.upper()): op
                for key, op in path_item.items()
                if key in HTTP_METHODS or key == ANY_METHOD
            }
            routes.append(Route(resource, tuple(_split(resource)), operations, path_item))
        self.routes = sorted(routes, key=_specificity)

    def match(self, method: str, path: str) -> RouteMatch | None:
        """The route for a stage-relative raw (percent-encoded) path, or None (AWS then 403s)."""
        segments = _split(path)
        for route in self.routes:
            params = _match_segments(route.segments, segments)
            if params is None:
                continue
            operation = route.operation(method)
            if operation is None:
                # AWS quirk: a known path with an unknown method is answered exactly like an
                # unknown path (403 Missing Authentication Token), not 405.
                continue
            return RouteMatch(route, method, operation, params)
        return None


def _match_segments(pattern: tuple[str, ...], segments: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for index, part in enumerate(pattern):
        greedy = _GREEDY.match(part)
        if greedy:
            rest = segments[index:]
            if not rest or any(s == "" for s in rest):
                return None  # {proxy+} needs at least one non-empty segment
            params[greedy.group(1)] = unquote("/".join(rest))
            return params
        if index >= len(segments) or segments[index] == "":
            return None
        named = _PARAM.match(part)
        if named:
            # pathParameters are delivered url-decoded (the event's `path` keeps the raw form).
            params[named.group(1)] = unquote(segments[index])
        elif unquote(segments[index]) != part:
            return None
    return params if len(segments) == len(pattern) else None
