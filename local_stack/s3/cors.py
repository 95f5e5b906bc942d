"""Bucket CORS as S3 applies it: preflight answers and headers on actual responses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from local_stack.s3 import errors

# AWS parity: S3 answers "Vary" with these three names whenever the bucket has a CORS config.
VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
CORSRule = Mapping[str, Any]  # CloudFormation CorsRules item: AllowedOrigins, AllowedMethods, ...


def _glob(pattern: str, value: str) -> bool:
    # AWS parity: an AllowedOrigin / AllowedHeader may hold one "*" wildcard, matching any text.
    head, star, tail = pattern.partition("*")
    if not star:
        return pattern == value
    return len(value) >= len(head) + len(tail) and value.startswith(head) and value.endswith(tail)


def _origin_allowed(rule: CORSRule, origin: str) -> bool:
    return any(_glob(allowed, origin) for allowed in rule.get("AllowedOrigins", []))


def _method_allowed(rule: CORSRule, method: str) -> bool:
    return method in rule.get("AllowedMethods", [])


def _headers_allowed(rule: CORSRule, requested: Sequence[str]) -> bool:
    allowed = [pattern.lower() for pattern in rule.get("AllowedHeaders", [])]
    return all(any(_glob(pattern, name) for pattern in allowed) for name in requested)


def matching_rule(
    rules: Sequence[CORSRule], origin: str, method: str, requested_headers: Sequence[str] = ()
) -> CORSRule | None:
    """The first rule allowing this origin, method and headers (S3 evaluates rules in order)."""
    for rule in rules:
        if (
            _origin_allowed(rule, origin)
            and _method_allowed(rule, method)
            and _headers_allowed(rule, requested_headers)
        ):
            return rule
    return None


def _allow_origin(rule: CORSRule, origin: str) -> dict[str, str]:
    # AWS parity: a rule whose only origin is "*" answers "*" without credentials; otherwise
    # S3 echoes the request's Origin and allows credentials.
    if "*" in rule.get("AllowedOrigins", []):
        return {"Access-Control-Allow-Origin": "*"}
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}


def preflight_headers(
    rules: Sequence[CORSRule], headers: Mapping[str, str], resource_type: str
) -> dict[str, str]:
    """Answer an OPTIONS preflight (unauthenticated, as S3) or raise S3's 400/403."""
    origin = headers.get("origin")
    if not origin:
        raise errors.S3Error(
            400, "BadRequest", "Insufficient information. Origin request header needed."
        )
    method = headers.get("access-control-request-method")
    if not method:
        raise errors.S3Error(400, "BadRequest", "Invalid Access-Control-Request-Method: null")
    requested = [
        name.strip().lower()
        for name in headers.get("access-control-request-headers", "").split(",")
        if name.strip()
    ]
    if not rules:
        raise errors.S3Error(
            403,
            "AccessForbidden",
            "CORSResponse: CORS is not enabled for this bucket.",
            (("Method", method), ("ResourceType", resource_type)),
        )
    rule = matching_rule(rules, origin, method, requested)
    if rule is None:
        # AWS parity: S3's message, including its "evalution" spelling.
        raise errors.S3Error(
            403,
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the "
            "evalution of Origin, request method / Access-Control-Request-Method or "
            "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
            (("Method", method), ("ResourceType", resource_type)),
        )
    answer = _allow_origin(rule, origin)
    answer["Access-Control-Allow-Methods"] = ", ".join(rule.get("AllowedMethods", []))
    if requested:
        answer["Access-Control-Allow-Headers"] = ", ".join(requested)
    answer.update(_common_headers(rule))
    answer["Vary"] = VARY
    return answer


def response_headers(
    rules: Sequence[CORSRule], headers: Mapping[str, str], method: str
) -> dict[str, str]:
    """CORS headers S3 adds to an actual (non-preflight) response, errors included."""
    if not rules:
        return {}
    origin = headers.get("origin")
    answer: dict[str, str] = {}
    if origin:
        rule = matching_rule(rules, origin, method)
        if rule is not None:
            answer = _allow_origin(rule, origin)
            answer["Access-Control-Allow-Methods"] = ", ".join(rule.get("AllowedMethods", []))
            answer.update(_common_headers(rule))
    answer["Vary"] = VARY
    return answer


def _common_headers(rule: CORSRule) -> dict[str, str]:
    answer: dict[str, str] = {}
    exposed = rule.get("ExposedHeaders", [])
    if exposed:
        answer["Access-Control-Expose-Headers"] = ", ".join(exposed)
    if rule.get("MaxAge") is not None:
        answer["Access-Control-Max-Age"] = str(rule["MaxAge"])
    return answer
