"""A REST API (payload v1) router: what the API functions used of Powertools' event handler.

Powertools' ``event_handler`` package imports every resolver it has (AppSync, Bedrock, asyncio,
OpenAPI, every event data class) whichever one a function uses: about 40 ms of each cold start
on python3.13. API Gateway has already matched the route when it invokes a function, so a
route here is found by the event's ``httpMethod`` and ``resource`` (``/file/{id}``), and its
handler gets the event's ``pathParameters`` as keyword arguments, as Powertools' routes did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

JSON_CONTENT_TYPE = "application/json"
# Powertools' CORSConfig default allow-list, to which the API adds its own headers.
DEFAULT_ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Api-Key",
)

RouteHandler = Callable[..., Any]
NO_HEADERS: Mapping[str, str] = MappingProxyType({})


class NoRoute(Exception):
    """The event names a method and resource this function has no route for."""


class Response(NamedTuple):
    """A proxy response: status, body text and headers."""

    status_code: int
    body: str
    content_type: str = JSON_CONTENT_TYPE
    headers: Mapping[str, str] = NO_HEADERS


class Cors(NamedTuple):
    """What the API answers a browser's request with (preflights are API Gateway's mocks)."""

    allow_origin: str
    allow_headers: tuple[str, ...] = ()
    max_age: int | None = None

    def headers(self) -> dict[str, str]:
        allowed = sorted({*DEFAULT_ALLOWED_HEADERS, *self.allow_headers})
        headers = {
            "Access-Control-Allow-Origin": self.allow_origin,
            "Access-Control-Allow-Headers": ",".join(allowed),
        }
        if self.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.max_age)
        return headers


class ApiRequest:
    """The request an API Gateway proxy event carries (headers looked up whatever their case)."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.raw_event = event
        self.body: str | None = event.get("body")
        self.is_base64_encoded = bool(event.get("isBase64Encoded"))
        self.path_parameters: dict[str, str] = dict(event.get("pathParameters") or {})
        self._headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        multi = event.get("multiValueHeaders") or {}
        self._multi_headers = {k.lower(): v for k, v in multi.items()}

    def header(self, name: str) -> str | None:
        """A header's value (its first, from ``multiValueHeaders``, when only it has it)."""
        value = self._headers.get(name.lower())
        if value is None:
            values = self._multi_headers.get(name.lower())
            if isinstance(values, list) and values:
                return str(values[0])
        return value

    def query_value(self, name: str) -> str | None:
        """A query string parameter, the first of its values when repeated."""
        multi = self.raw_event.get("multiValueQueryStringParameters") or {}
        values = multi.get(name)
        if isinstance(values, list) and values:
            return str(values[0])
        single = self.raw_event.get("queryStringParameters") or {}
        value = single.get(name)
        return None if value is None else str(value)


class Router:
    """One function's routes, declared as Powertools declares them (``@router.post("/file")``)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], RouteHandler] = {}
        self._current: ApiRequest | None = None

    @property
    def current_event(self) -> ApiRequest:
        if self._current is None:
            raise RuntimeError("no request is being resolved")
        return self._current

    def route(self, method: str, path: str) -> Callable[[RouteHandler], RouteHandler]:
        resource = path.replace("<", "{").replace(">", "}")  # Powertools' syntax, API Gateway's

        def register(handler: RouteHandler) -> RouteHandler:
            self.routes[(method.upper(), resource)] = handler
            return handler

        return register

    def get(self, path: str) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("GET", path)

    def post(self, path: str) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("POST", path)

    def put(self, path: str) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("PUT", path)

    def delete(self, path: str) -> Callable[[RouteHandler], RouteHandler]:
        return self.route("DELETE", path)

    def dispatch(
        self,
        event: Mapping[str, Any],
        on_error: Callable[[Exception], Response | None],
        cors: Cors,
    ) -> dict[str, Any]:
        """Run the route ``event`` names; ``on_error`` turns an exception into a response (or
        ``None`` to let it propagate, as an unhandled error of the function)."""
        method = str(event.get("httpMethod", "")).upper()
        handler = self.routes.get((method, str(event.get("resource", ""))))
        self._current = ApiRequest(event)
        try:
            if handler is None:
                raise NoRoute(f"no route for {method} {event.get('resource')}")
            result = handler(**self._current.path_parameters)
            response = (
                result
                if isinstance(result, Response)
                else Response(200, json.dumps(result, separators=(",", ":")))
            )
        except Exception as err:
            handled = on_error(err)
            if handled is None:
                raise
            response = handled
        finally:
            self._current = None
        return proxy_response(response, cors)


def proxy_response(response: Response, cors: Cors) -> dict[str, Any]:
    """The REST API's proxy response shape, every header in ``multiValueHeaders``."""
    headers = {"Content-Type": response.content_type, **cors.headers(), **response.headers}
    return {
        "statusCode": response.status_code,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "body": response.body,
        "isBase64Encoded": False,
    }
