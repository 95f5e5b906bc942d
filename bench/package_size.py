"""Package size: the zipped Lambda package built by ``make package``, and what takes the room."""

from __future__ import annotations

import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.settings import SOURCE_DIR
from local_stack.config import PROJECT_ROOT

PACKAGE_ZIP = PROJECT_ROOT / "dist" / "filestore-lambda.zip"
PARTS_SHOWN = 8
RUNTIME_PACKAGES = {"boto3", "botocore", "s3transfer", "jmespath"}  # the Lambda runtime has them


@dataclass(frozen=True)
class PackageSize:
    """Bytes of the zip, unzipped and by part, and whether it is older than source/."""

    path: str  # relative to the repository
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    largest_parts: list[tuple[str, int]]  # compressed bytes
    runtime_packages: list[str]  # bundled although the runtime provides them
    stale: bool  # files in source/ changed after the zip was built


def _part(name: str) -> str:
    parts = name.split("/")
    if parts[0] == "ext" and len(parts) > 1:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else "(top-level files)"


def _newest_change(root: Path) -> float:
    files = (path for path in root.rglob("*") if "__pycache__" not in path.parts)
    return max((path.stat().st_mtime for path in files if path.is_file()), default=0.0)


def measure() -> PackageSize:
    """Size the zip from ``make package`` and see what takes the room."""
    if not PACKAGE_ZIP.is_file():
        raise FileNotFoundError(f"{PACKAGE_ZIP} is missing: run `make package` first")
    by_part: Counter[str] = Counter()
    with zipfile.ZipFile(PACKAGE_ZIP) as archive:
        infos = archive.infolist()
    for info in infos:
        by_part[_part(info.filename.removeprefix("./"))] += info.compress_size
    top_dirs = {
        info.filename.removeprefix("./").split("/")[1] for info in infos if "/" in info.filename
    }
    return PackageSize(
        path=str(PACKAGE_ZIP.relative_to(PROJECT_ROOT)),
        zipped_bytes=PACKAGE_ZIP.stat().st_size,
        unzipped_bytes=sum(info.file_size for info in infos),
        files=len(infos),
        largest_parts=by_part.most_common(PARTS_SHOWN),
        runtime_packages=sorted(top_dirs & RUNTIME_PACKAGES),
        stale=_newest_change(SOURCE_DIR) > PACKAGE_ZIP.stat().st_mtime,
    )
