"""Template parameters: overrides and defaults, validated as CloudFormation validates them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from local_stack.cloudformation.exceptions import TemplateError


def resolve_parameters(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Apply overrides and defaults, validating each value as CloudFormation does."""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(
            f"unknown template parameter(s): {', '.join(unknown)}; "
            f"the template declares: {', '.join(sorted(declared))}"
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            raw = overrides[name]
        elif "Default" in spec:
            raw = scalar_text(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no Default: set it in FILESTORE_PARAMS")
        values[name] = _validated_parameter(name, spec, raw)
    return values


def _validated_parameter(name: str, spec: Mapping[str, Any], raw: str) -> Any:
    kind = spec.get("Type", "String")
    if kind == "CommaDelimitedList":
        return [item.strip() for item in raw.split(",")] if raw else []
    allowed = spec.get("AllowedValues")
    if allowed is not None and raw not in [scalar_text(value) for value in allowed]:
        choices = ", ".join(scalar_text(value) for value in allowed)
        raise TemplateError(f"parameter {name}={raw!r} is not one of: {choices}")
    if kind == "Number":
        try:
            number = float(raw)
        except ValueError as err:
            raise TemplateError(f"parameter {name}={raw!r} must be a number") from err
        if "MinValue" in spec and number < float(spec["MinValue"]):
            raise TemplateError(f"parameter {name}={raw} is below its MinValue {spec['MinValue']}")
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            raise TemplateError(f"parameter {name}={raw} is above its MaxValue {spec['MaxValue']}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and re.fullmatch(str(pattern), raw) is None:
        detail = spec.get("ConstraintDescription") or f"must match {pattern}"
        raise TemplateError(f"parameter {name}={raw!r}: {detail}")
    if "MinLength" in spec and len(raw) < int(spec["MinLength"]):
        raise TemplateError(f"parameter {name} is shorter than its MinLength {spec['MinLength']}")
    if "MaxLength" in spec and len(raw) > int(spec["MaxLength"]):
        raise TemplateError(f"parameter {name} is longer than its MaxLength {spec['MaxLength']}")
    return raw  # CloudFormation hands every parameter to Ref as a string


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
