"""The handler modules match docs/ARCHITECTURE.md and template.yaml and stay thin."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.helpers.aws import REPO_ROOT, template_resource
from tests.helpers.contract import ARCHITECTURE_HANDLERS


@pytest.mark.parametrize(("logical_id", "handler"), ARCHITECTURE_HANDLERS.items())
def test_template_points_each_function_at_its_handler(logical_id: str, handler: str) -> None:
    assert template_resource(logical_id)["Properties"]["Handler"] == handler


@pytest.mark.parametrize("handler", ARCHITECTURE_HANDLERS.values())
def test_each_handler_is_callable(handler: str) -> None:
    module_name, _, attribute = handler.rpartition(".")

    assert callable(getattr(importlib.import_module(module_name), attribute))


@pytest.mark.parametrize("handler", ARCHITECTURE_HANDLERS.values())
def test_each_handler_module_imports_vendor_first_and_stays_short(handler: str) -> None:
    path = REPO_ROOT / "source" / Path(*handler.split(".")[:2]).with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    first_real = next(
        node
        for node in imports
        if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    )

    assert isinstance(first_real, ast.Import)
    assert [alias.name for alias in first_real.names] == ["vendor"]
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 45


@pytest.mark.parametrize("handler", ARCHITECTURE_HANDLERS.values())
def test_each_handler_module_answers_with_a_view_never_json_of_its_own(handler: str) -> None:
    path = REPO_ROOT / "source" / Path(*handler.split(".")[:2]).with_suffix(".py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    literals = ast.Dict | ast.DictComp | ast.List | ast.ListComp

    built = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Return) and isinstance(node.value, literals)
    ]

    assert built == [], f"{path.name} returns JSON it built itself (lines {built})"
