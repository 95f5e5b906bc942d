"""The small part of API Gateway's VTL mapping templates the local stack renders: $context vars."""

from __future__ import annotations

import re
from collections.abc import Mapping

_CONTEXT_REFERENCE = re.compile(r"\$(?:\{context\.([\w.]+)\}|context\.([\w.]*\w))")


def render(template: str, context: Mapping[str, str]) -> str:
    """Substitute $context.x / ${context.x}; unknown references stay as written (as VTL does)."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return context.get(name, match.group(0))

    return _CONTEXT_REFERENCE.sub(substitute, template)


def select_template(templates: Mapping[str, str], content_type: str) -> str | None:
    """The template for a content type, else the application/json one, else the first one."""
    if content_type in templates:
        return templates[content_type]
    if "application/json" in templates:
        return templates["application/json"]
    return next(iter(templates.values()), None)
