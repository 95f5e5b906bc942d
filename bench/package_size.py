"""Package size: the zipped Lambda package built by ``make package`` against the 3 MB limit."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

from bench.results import REPO_ROOT, FigureResult
from bench.session import Session

PACKAGE_ZIP = REPO_ROOT / "dist" / "filestore-lambda.zip"
SOURCE_DIR = REPO_ROOT / "source"
LIMIT_BYTES = 3 * 1024 * 1024


def _group(name: str) -> str:
    parts = name.split("/")
    if parts[0] == "ext" and len(parts) > 1:
        return "/".join(parts[:2])
    return parts[0] if len(parts) > 1 else "(top-level files)"


def _newest_source_change(root: Path) -> float:
    newest = 0.0
    for path in root.rglob("*"):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        newest = max(newest, path.stat().st_mtime)
    return newest


def measure(session: Session) -> FigureResult:
    """Size the zip from ``make package`` and show what takes the room."""
    result = FigureResult(
        title="Package size",
        target="< 3 MB zipped",
        how=f"`{PACKAGE_ZIP.relative_to(REPO_ROOT)}` as built by `make package` (source/ with "
        "its vendored dependencies in source/ext; boto3 and botocore come with the runtime).",
    )
    if not PACKAGE_ZIP.is_file():
        raise FileNotFoundError(f"{PACKAGE_ZIP} is missing: run `make package` first")
    zipped = PACKAGE_ZIP.stat().st_size
    by_group: Counter[str] = Counter()
    unzipped = 0
    with zipfile.ZipFile(PACKAGE_ZIP) as archive:
        infos = archive.infolist()
        for info in infos:
            by_group[_group(info.filename.removeprefix("./"))] += info.compress_size
            unzipped += info.file_size
    names = {
        info.filename.removeprefix("./").split("/")[1] for info in infos if "/" in info.filename
    }
    result.measured = f"{zipped / 1024 / 1024:.2f} MB ({zipped:,} bytes)"
    result.judge(
        zipped < LIMIT_BYTES,
        f"{(zipped - LIMIT_BYTES) / 1024:.0f} KB over; the largest parts are listed below",
    )
    result.details = [
        f"{len(infos)} files, {unzipped / 1024 / 1024:.2f} MB unzipped. "
        "Largest parts (compressed):",
        "",
        "| part | compressed |",
        "|---|---|",
        *(f"| `{group}` | {size / 1024:.0f} KB |" for group, size in by_group.most_common(8)),
    ]
    bundled = sorted(names & {"boto3", "botocore", "s3transfer", "jmespath"})
    if bundled:
        result.details += ["", f"Bundles runtime-provided packages: {', '.join(bundled)}."]
    if _newest_source_change(SOURCE_DIR) > PACKAGE_ZIP.stat().st_mtime:
        result.details += [
            "",
            "Note: files in source/ changed after the zip was built: rebuild it with "
            "`make package`.",
        ]
    return result
