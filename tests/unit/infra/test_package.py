"""dist/filestore-lambda.zip (from `make package`): small, and the handlers import from it alone.
The WebPage publisher's package (dist/web-publisher) holds its handler and the whole built page."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from tests.helpers.runtime import run_on_runtime
from tests.unit.infra.support import PACKAGE_ZIP, ROOT, load_template
from web_publisher.build import PACKAGE_DIR, build

MAX_ZIP_BYTES = 5 * 1024 * 1024
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


IMPORT_PUBLISHER = """
import json
import web_publisher.handler as handler, web_publisher.publish as publish
assert callable(handler.handler)
print(json.dumps({"handler": handler.__file__, "site": str(publish.SITE_DIR)}))
"""


def _zip_path() -> Path:
    assert PACKAGE_ZIP.is_file(), (
        f"{PACKAGE_ZIP} is missing: build it with `make package` (the unit target should)"
    )
    return PACKAGE_ZIP


def _handler_modules() -> list[str]:
    """The handlers packaged from source/ (Globals' CodeUri; the page's publisher has its own)."""
    return sorted(
        resource["Properties"]["Handler"].rsplit(".", 1)[0]
        for resource in load_template()["Resources"].values()
        if resource["Type"] == "AWS::Serverless::Function"
        and "CodeUri" not in resource["Properties"]
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


def test_package_is_under_five_megabytes() -> None:
    size = _zip_path().stat().st_size
    assert size < MAX_ZIP_BYTES, f"{PACKAGE_ZIP} is {size} bytes"


def test_package_holds_the_source_and_vendored_powertools_but_not_boto3() -> None:
    with zipfile.ZipFile(_zip_path()) as archive:
        names = archive.namelist()
    assert "vendor.py" in names
    assert "runtime_context.py" in names
    assert any(name.startswith("ext/aws_lambda_powertools/") for name in names)
    assert not any(name.startswith(("ext/boto3/", "ext/botocore/")) for name in names)
    assert not any(name.endswith(".so") and "aarch64" not in name for name in names)  # arm64
    for module in _handler_modules():
        assert module.replace(".", "/") + ".py" in names, f"{module} is not in the package"


def test_handlers_import_from_the_unzipped_package_with_its_vendored_powertools(
    tmp_path: Path,
) -> None:
    task_root = tmp_path / "task"
    with zipfile.ZipFile(_zip_path()) as archive:
        archive.extractall(task_root)
    modules = _handler_modules()
    printed = run_on_runtime(
        IMPORT_HANDLERS, json.dumps(modules), env=_lambda_environment(task_root), cwd=task_root
    )
    files = {name: Path(path).resolve() for name, path in printed.items()}
    for module in modules:
        assert files[module].is_relative_to(task_root.resolve()), (module, files[module])
    powertools = files["aws_lambda_powertools"]
    assert powertools.is_relative_to((task_root / "ext").resolve()), (
        f"aws_lambda_powertools came from {powertools}, not the package's ext/"
    )


def test_the_publisher_package_holds_its_handler_and_every_file_of_the_built_page(
    tmp_path: Path,
) -> None:
    package = tmp_path / "web-publisher"
    web = tmp_path / "web"
    (web / "vendor").mkdir(parents=True)
    (web / "index.html").write_text("<title>page</title>", encoding="utf-8")
    (web / "multipart.js").write_text("export {};", encoding="utf-8")  # any new module ships
    (web / "vendor" / "filepond.min.js").write_text("/* filepond */", encoding="utf-8")
    (web / "config.js").write_text("stale", encoding="utf-8")  # written at publish time only

    assert build(package, web) == 3

    site = sorted(
        path.relative_to(package / "site").as_posix()
        for path in package.rglob("*")
        if path.is_file() and path.is_relative_to(package / "site")
    )
    assert site == ["index.html", "multipart.js", "vendor/filepond.min.js"]
    modules = {path.name for path in (package / "web_publisher").iterdir()}
    assert {"handler.py", "publish.py", "page.py", "response.py"} <= modules
    assert "build.py" not in modules and "__pycache__" not in modules
    imported = run_on_runtime(IMPORT_PUBLISHER, env=_lambda_environment(package), cwd=package)
    assert Path(imported["handler"]).resolve().is_relative_to(package.resolve())
    assert Path(imported["site"]).resolve() == (package / "site").resolve()


def test_the_template_deploys_the_publisher_package_make_builds() -> None:
    resource = load_template()["Resources"]["PublishWebFunction"]["Properties"]
    assert (ROOT / resource["CodeUri"]).resolve() == PACKAGE_DIR.resolve()
    assert resource["Handler"] == "web_publisher.handler.handler"


def test_every_module_ships_bytecode_compiled_by_313_in_unchecked_hash_mode() -> None:
    """Lambda's task root is read-only: bytecode the zip lacks is compiled on every cold start."""
    with zipfile.ZipFile(_zip_path()) as archive:
        names = set(archive.namelist())
        sources = [name for name in names if name.endswith(".py")]
        for source in sources:
            folder, _, file_name = source.rpartition("/")
            cached = f"{folder}/__pycache__/" if folder else "__pycache__/"
            cached += file_name.removesuffix(".py") + ".cpython-313.pyc"
            assert cached in names, f"{source} has no 3.13 bytecode"
            header = archive.read(cached)[:8]
            flags = int.from_bytes(header[4:8], "little")
            assert flags == 0b01, f"{cached} is not unchecked-hash bytecode (flags {flags})"
    assert len(sources) > 100
