"""The functions answer JSON nested to any depth with a 400, however deep the parser gets."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from handlers import create_file, delete_files, describe_files, store_files
from local_stack.testing.event_builders import api_event
from tests.helpers.aws import call_api

if TYPE_CHECKING:
    from tests.unit.core.conftest import Files

# Around the interpreter's recursion limit (1000) too: the handler's own frames come first.
DEPTHS = [1, 2, 10, 100, 500, 900, 950, 980, 990, 999, 1000, 1001, 5000, 100_000]
ROUTES = [
    (create_file, "POST", "/file"),
    (store_files, "PUT", "/files"),
    (describe_files, "POST", "/files"),
    (delete_files, "DELETE", "/files"),
]


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("closed", [True, False], ids=["closed", "unclosed"])
@pytest.mark.parametrize(
    ("module", "method", "path"), ROUTES, ids=[f"{m} {p}" for _, m, p in ROUTES]
)
def test_json_nested_to_any_depth_is_a_400_with_a_code_and_cors(
    files: Files, module: ModuleType, method: str, path: str, depth: int, closed: bool
) -> None:
    raw_body = "[" * depth + ("]" * depth if closed else "")

    response = call_api(module, api_event(method, path, raw_body=raw_body))

    assert response.status == 400
    assert set(response.body) == {"message", "code"}
    assert response.body["code"] in ("InvalidBody", "InvalidFileId")
    assert response.headers["access-control-allow-origin"] == "https://files.example.com"
    assert files.item_count() == 0
