"""The environment the template gives Filestore's functions, for running handlers here."""

from __future__ import annotations

from functools import cache
from typing import Any

from bench.results import REPO_ROOT
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from local_stack.cloudformation.loader import load_stack
from local_stack.cloudformation.models import StackModel

SOURCE_DIR = REPO_ROOT / "source"
HANDLERS_DIR = SOURCE_DIR / "handlers"
TEMPLATE = REPO_ROOT / "template.yaml"
REGION = "us-east-1"
LAMBDA_DEFAULT_MEMORY_MB = 128


def handler_modules() -> list[str]:
    """Every handler module in source/handlers, as ``handlers.<name>``."""
    return sorted(
        f"handlers.{path.stem}" for path in HANDLERS_DIR.glob("*.py") if path.stem != "__init__"
    )


@cache
def stack_model(store_on_upload: bool = False) -> StackModel:
    """The template read like the local stack reads it, with default parameters."""
    return load_stack(TEMPLATE, {"StoreOnLoad": "True" if store_on_upload else "False"})


def function_environment(store_on_upload: bool = False) -> dict[str, str]:
    """A function's variables from the template, plus fake, public AWS credentials."""
    functions = stack_model(store_on_upload).functions
    if not functions:
        raise RuntimeError(f"{TEMPLATE} declares no functions")
    first = next(iter(functions.values()))
    return dict(first.environment) | {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "bench-access-key",
        "AWS_SECRET_ACCESS_KEY": "bench-secret-key",  # fake: moto accepts any
    }


def memory_size_mb() -> int:
    """``MemorySize`` of the functions, from the template's Globals (else Lambda's default)."""
    template: dict[str, Any] = load_cfn_yaml(TEMPLATE)
    size = (template.get("Globals") or {}).get("Function", {}).get("MemorySize")
    return int(size) if size is not None else LAMBDA_DEFAULT_MEMORY_MB
