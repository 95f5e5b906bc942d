"""API Gateway request validators: required parameters and JSON bodies against swagger models."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft4Validator, ValidationError, validators  # type: ignore[import-untyped]

from local_stack.apigateway.media_types import essence

VALIDATORS_KEY = "x-amazon-apigateway-request-validators"
VALIDATOR_KEY = "x-amazon-apigateway-request-validator"


# ECMA 262's \s: its WhiteSpace and LineTerminator characters, written for a character class.
_ECMA_SPACE = r"\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# ECMA's ASCII-only classes, inside a character class and on their own.
_ECMA_CLASS_ESCAPES = {"d": "0-9", "w": "A-Za-z0-9_", "s": _ECMA_SPACE}
_ECMA_ESCAPES = {
    **{letter: f"[{chars}]" for letter, chars in _ECMA_CLASS_ESCAPES.items()},
    **{letter.upper(): f"[^{chars}]" for letter, chars in _ECMA_CLASS_ESCAPES.items()},
}
_TOO_DEEP = "[Unable to parse the body as JSON: it is nested too deeply]"


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """An ECMA 262 regular expression without flags (what API Gateway's models run) in Python.

    Python's ``$`` also matches before a final newline and its ``\\d``, ``\\w`` and ``\\s`` take
    Unicode classes; ECMA's ``$`` matches only at the very end and its ``\\d`` and ``\\w`` are
    ASCII. A negated class escape inside brackets has no simple translation and is refused.
    """
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            index += 2
            if in_class and escaped in _ECMA_CLASS_ESCAPES:
                out.append(_ECMA_CLASS_ESCAPES[escaped])
            elif in_class and escaped.lower() in _ECMA_CLASS_ESCAPES:
                raise ValueError(f"pattern {pattern!r}: \\{escaped} inside [...] is not supported")
            elif not in_class and escaped in _ECMA_ESCAPES:
                out.append(_ECMA_ESCAPES[escaped])
            else:
                out.append("\\" + escaped)
            continue
        if char == "[" and not in_class:
            # ECMA's [] and [^] (nothing, anything) are a literal "]" to Python: refused.
            if pattern.startswith(("[]", "[^]"), index):
                raise ValueError(f"pattern {pattern!r}: [] and [^] are not supported")
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            char = "\\Z"
        out.append(char)
        index += 1
    return re.compile("".join(out))


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    if isinstance(instance, str) and ecma_regex(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# Draft 4, as API Gateway validates, with its patterns matched as ECMA 262 regular expressions.
ModelValidator = validators.extend(Draft4Validator, {"pattern": _ecma_pattern})


class RequestValidationError(Exception):
    """A request rejected by a validator before any integration runs."""

    def __init__(self, response_type: str, message: str, details: str) -> None:
        super().__init__(message)
        self.response_type = response_type  # BAD_REQUEST_BODY or BAD_REQUEST_PARAMETERS
        self.message = message
        self.details = details  # $context.error.validationErrorString


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _describe(error: Any) -> str:
    """One schema error worded like the draft-4 validator API Gateway runs (fge's messages)."""
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "required":
        missing = [name for name in expected if name not in instance]
        return f"object has missing required properties ({_json_text(missing)})"
    if keyword == "type":
        allowed = expected if isinstance(expected, list) else [expected]
        return (
            f"instance type ({_json_type(instance)}) does not match any allowed primitive type "
            f"(allowed: {_json_text(allowed)})"
        )
    if keyword == "minLength":
        return (
            f"string {_json_text(instance)} is too short "
            f"(length: {len(instance)}, required minimum: {expected})"
        )
    if keyword == "maxLength":
        return (
            f"string {_json_text(instance)} is too long "
            f"(length: {len(instance)}, maximum allowed: {expected})"
        )
    if keyword == "pattern":
        return (
            f"ECMA 262 regex {_json_text(expected)} does not match input string "
            f"{_json_text(instance)}"
        )
    if keyword == "minimum":
        return (
            "numeric instance is lower than the required minimum "
            f"(minimum: {expected}, found: {instance})"
        )
    if keyword == "maximum":
        return (
            "numeric instance is greater than the required maximum "
            f"(maximum: {expected}, found: {instance})"
        )
    if keyword == "minItems":
        return (
            f"array is too short: must have at least {expected} elements "
            f"but instance has {len(instance)} elements"
        )
    if keyword == "maxItems":
        return (
            f"array is too long: must have at most {expected} elements "
            f"but instance has {len(instance)} elements"
        )
    if keyword == "enum":
        return (
            f"instance value ({_json_text(instance)}) not found in enum "
            f"(possible values: {_json_text(expected)})"
        )
    return str(error.message)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def resolve_ref(swagger: Mapping[str, Any], value: Any) -> Any:
    """Follow a local "$ref" such as "#/parameters/FileId" (as API Gateway's import does)."""
    seen = 0
    while isinstance(value, Mapping) and isinstance(value.get("$ref"), str) and seen < 20:
        ref = value["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local $ref are supported, got {ref!r}")
        target: Any = swagger
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        value, seen = target, seen + 1
    return value


@dataclass(frozen=True)
class _Parameter:
    location: str  # "header" or "query" (path parameters always exist once a route matched)
    name: str


@dataclass(frozen=True)
class OperationValidator:
    """The checks one method runs, compiled once from the swagger."""

    validate_body: bool
    validate_parameters: bool
    required: tuple[_Parameter, ...]
    models: Mapping[str, Any]  # request content type -> its ModelValidator

    def validate(
        self,
        headers: Sequence[tuple[str, str]],
        query: Sequence[tuple[str, str]],
        body: bytes,
    ) -> None:
        # AWS checks the required parameters first, then the body.
        if self.validate_parameters:
            self._check_parameters(headers, query)
        if self.validate_body:
            self._check_body(headers, body)

    def _check_parameters(
        self, headers: Sequence[tuple[str, str]], query: Sequence[tuple[str, str]]
    ) -> None:
        header_names = {name.lower() for name, _ in headers}
        query_names = {name for name, _ in query}
        missing = [
            p.name
            for p in self.required
            # Header names are case-insensitive, query string names are not.
            if (p.location == "header" and p.name.lower() not in header_names)
            or (p.location == "query" and p.name not in query_names)
        ]
        if missing:
            message = f"Missing required request parameters: [{', '.join(missing)}]"
            raise RequestValidationError("BAD_REQUEST_PARAMETERS", message, message)

    def _check_body(self, headers: Sequence[tuple[str, str]], body: bytes) -> None:
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        # AWS quirk: no Content-Type means application/json; a Content-Type with no model (and no
        # $default model) is NOT validated at all: the body passes through to the function.
        model = self.models.get(essence(content_type) or "application/json")
        if model is None:
            model = self.models.get("$default")
        if model is None:
            return
        try:
            # AWS validates an empty body as the empty JSON object {}.
            document = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError) as err:
            # The details wording for unparsable JSON is the local stack's own.
            details = f"[Unable to parse the body as JSON: {err}]"
            raise RequestValidationError(
                "BAD_REQUEST_BODY", "Invalid request body", details
            ) from err
        except RecursionError as err:
            # Deeper than the parser goes (`[` a thousand times): a body it cannot validate.
            raise RequestValidationError(
                "BAD_REQUEST_BODY", "Invalid request body", _TOO_DEEP
            ) from err
        try:
            errors = sorted(
                model.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path]
            )
            # $context.error.message is always "Invalid request body"; the schema errors are in
            # $context.error.validationErrorString as "[error, error]".
            details = "[" + ", ".join(_describe(error) for error in errors) + "]"
        except RecursionError as err:
            # Parsed, but too deep for the schema walk or an error's description of it.
            raise RequestValidationError(
                "BAD_REQUEST_BODY", "Invalid request body", _TOO_DEEP
            ) from err
        if errors:
            raise RequestValidationError("BAD_REQUEST_BODY", "Invalid request body", details)


def _parameters(
    swagger: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> list[Any]:
    # Operation parameters override path-level ones with the same name and location.
    merged: dict[tuple[str, str], Any] = {}
    for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        param = resolve_ref(swagger, raw)
        merged[(param.get("in", ""), param.get("name", ""))] = param
    return list(merged.values())


def _compile_patterns(node: Any) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                ecma_regex(value)
            else:
                _compile_patterns(value)
    elif isinstance(node, list):
        for item in node:
            _compile_patterns(item)


def check_models(swagger: Mapping[str, Any]) -> None:
    """Check the swagger's definitions (the models) once: valid draft 4, patterns we can run.

    Each body schema is checked alone by ``build_validator``; checking the definitions with
    every one of them cost a tenth of a second of every start-up.
    """
    definitions = {"definitions": swagger.get("definitions", {})}
    Draft4Validator.check_schema(definitions)
    _compile_patterns(definitions)  # a pattern the local stack cannot run stops the start


def build_validator(
    swagger: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> OperationValidator | None:
    """The validator a method uses (operation setting, else the API default), or None.

    Its body schema is checked here; the definitions it refers to, by ``check_models``.
    """
    name = operation.get(VALIDATOR_KEY, swagger.get(VALIDATOR_KEY))
    if not name:
        return None
    settings = swagger.get(VALIDATORS_KEY, {}).get(name)
    if settings is None:
        raise ValueError(f"request validator {name!r} is not defined in {VALIDATORS_KEY}")
    params = _parameters(swagger, path_item, operation)
    required = tuple(
        _Parameter(p["in"], p["name"])
        for p in params
        if p.get("required") and p.get("in") in ("header", "query")
    )
    models: dict[str, Any] = {}
    body_param = next((p for p in params if p.get("in") == "body"), None)
    if body_param is not None and "schema" in body_param:
        # API Gateway validates with JSON Schema draft 4; "#/definitions/X" refs resolve against
        # the swagger definitions (the models API Gateway creates on import).
        Draft4Validator.check_schema(body_param["schema"])
        _compile_patterns(body_param["schema"])  # a pattern the local stack cannot run stops it
        schema = {**body_param["schema"], "definitions": swagger.get("definitions", {})}
        consumes = operation.get("consumes", swagger.get("consumes")) or ["application/json"]
        for content_type in consumes:
            models[essence(content_type)] = ModelValidator(schema)
    return OperationValidator(
        validate_body=bool(settings.get("validateRequestBody")),
        validate_parameters=bool(settings.get("validateRequestParameters")),
        required=required,
        models=models,
    )
