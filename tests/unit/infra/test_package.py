"""dist/filestore-lambda.zip (from `make package`): small, and the handlers import from it alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.unit.infra.support import PACKAGE_ZIP, load_template

MAX_ZIP_BYTES = 3 * 1024 * 1024
IMPORT_HANDLERS = """
import importlib, json, sys
modules = json.loads(sys.argv[1])
files = {}
for name in modules:
    module = importlib.import_module(name)
    assert callable(getattr(module, "handler", None)), f"{name} has no handler function"
    files[name] = module.__file__
import aws_lambda_powertools
files["aws_lambda_powertools"] = aws_lambda_powertools.__file__
print(json.dumps(files))
"""


def _zip_path() -> Path:
    assert PACKAGE_ZIP.is_file(), (
        f"{PACKAGE_ZIP} is missing: build it with `make package` (the unit target should)"
    )
    return PACKAGE_ZIP


def _handler_modules() -> list[str]:
    return sorted(
        resource["Properties"]["Handler"].rsplit(".", 1)[0]
        for resource in load_template()["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
    )


def _lambda_environment(task_root: Path) -> dict[str, str]:
    """What Lambda would set: the task root on PYTHONPATH, the template's variables, region."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(task_root),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "TABLE_NAME": "files-table",
        "BUCKET_NAME": "filestore-package-test",
        "STORE_ON_UPLOAD": "False",
        "SIGNED_URL_EXPIRATION": "900",
        "MAX_FILE_SIZE": "104857600",
        "ALLOWED_TYPES": "*",
        "ALLOWED_ORIGIN": "*",
        "UPLOAD_TIMEOUT": "3600",
        "MULTIPART_THRESHOLD": "33554432",
        "PART_SIZE": "16777216",
        "POWERTOOLS_SERVICE_NAME": "filestore",
        "POWERTOOLS_METRICS_NAMESPACE": "Filestore",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def test_package_is_under_three_megabytes() -> None:
    size = _zip_path().stat().st_size
    assert size < MAX_ZIP_BYTES, f"{PACKAGE_ZIP} is {size} bytes"


def test_package_holds_the_source_and_vendored_powertools_but_not_boto3() -> None:
    with zipfile.ZipFile(_zip_path()) as archive:
        names = archive.namelist()
    assert "vendor.py" in names
    assert "runtime_context.py" in names
    assert any(name.startswith("ext/aws_lambda_powertools/") for name in names)
    assert not any(name.startswith(("ext/boto3/", "ext/botocore/")) for name in names)
    assert not any("__pycache__" in name for name in names)
    for module in _handler_modules():
        assert module.replace(".", "/") + ".py" in names, f"{module} is not in the package"


def test_handlers_import_from_the_unzipped_package_with_its_vendored_powertools(
    tmp_path: Path,
) -> None:
    task_root = tmp_path / "task"
    with zipfile.ZipFile(_zip_path()) as archive:
        archive.extractall(task_root)
    modules = _handler_modules()
    completed = subprocess.run(
        [sys.executable, "-c", IMPORT_HANDLERS, json.dumps(modules)],
        cwd=task_root,
        env=_lambda_environment(task_root),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    files = {name: Path(path).resolve() for name, path in json.loads(completed.stdout).items()}
    for module in modules:
        assert files[module].is_relative_to(task_root.resolve()), (module, files[module])
    powertools = files["aws_lambda_powertools"]
    assert powertools.is_relative_to((task_root / "ext").resolve()), (
        f"aws_lambda_powertools came from {powertools}, not the package's ext/"
    )
