"""Builds the WebPage function's package: this package plus the built static/web/ as site/."""

from __future__ import annotations

import argparse
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

from web_publisher.publish import site_files

LOGGER = logging.getLogger("web_publisher.build")
ROOT = Path(__file__).resolve().parent.parent
WEB_DIR = ROOT / "static" / "web"
PACKAGE_DIR = ROOT / "dist" / "web-publisher"  # template.yaml's PublishWebFunction CodeUri


def build(package_dir: Path = PACKAGE_DIR, web_dir: Path = WEB_DIR) -> int:
    """Replace ``package_dir`` with the handler's modules and every file of the built site."""
    files = site_files(web_dir)  # refuses an unbuilt page
    staging = package_dir.with_name(package_dir.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(
        Path(__file__).resolve().parent,
        staging / "web_publisher",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "build.py"),
    )
    for key, path in files.items():
        target = staging / "site" / key
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shutil.rmtree(package_dir, ignore_errors=True)
    staging.rename(package_dir)
    return len(files)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m web_publisher.build [package_dir]`` (the Makefile's web-publisher step)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("package_dir", nargs="?", type=Path, default=PACKAGE_DIR)
    parser.add_argument("--web-dir", type=Path, default=WEB_DIR)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    count = build(args.package_dir, args.web_dir)
    LOGGER.info("%s: the web_publisher package and %d site files", args.package_dir, count)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
