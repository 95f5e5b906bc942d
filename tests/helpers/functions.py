"""A template function model for tests of the runtime, the event sources and the scheduler."""

from __future__ import annotations

from typing import Any

from local_stack.cloudformation.models import FunctionModel


def function_model(
    logical_id: str, handler: str = "handlers.x.handler", **fields: Any
) -> FunctionModel:
    """``FunctionModel`` with small defaults (3 s, 128 MB, no environment); ``fields`` override."""
    defaults: dict[str, Any] = {
        "code_uri": ".",
        "runtime": "python3.13",
        "timeout": 3,
        "memory_size": 128,
        "environment": {},
    }
    return FunctionModel(logical_id=logical_id, handler=handler, **{**defaults, **fields})
