"""Adds this machine's builds of the vendored native modules beside the arm64 ones in source/ext.

Run by the functions' interpreter (``make runtime``): for each vendored wheel that is not pure
Python, pip fetches the same version built for this interpreter and platform, and only its
compiled modules are copied in. Python picks the file whose suffix it imports
(``.cpython-313-x86_64-linux-gnu.so`` here, ``-aarch64-`` on Lambda), so local workers run the
native code Lambda runs; ``make package`` zips only the arm64 builds. Standard library only.
"""

from __future__ import annotations

import importlib.machinery
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path


def native_distributions(ext_dir: Path) -> list[tuple[str, str]]:
    """(name, version) of every vendored wheel with compiled modules."""
    found = []
    for info in sorted(ext_dir.glob("*.dist-info")):
        wheel = (info / "WHEEL").read_text(encoding="utf-8")
        if "Root-Is-Purelib: true" in wheel:
            continue
        name, _, version = info.name.removesuffix(".dist-info").rpartition("-")
        found.append((name, version))
    return found


def add_host_builds(ext_dir: Path) -> list[str]:
    """Copy this interpreter's compiled modules of each native wheel into ``ext_dir``."""
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    copied = []
    for name, version in native_distributions(ext_dir):
        with tempfile.TemporaryDirectory() as download:
            command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
            command += ["--only-binary=:all:", "-d", download, f"{name}=={version}"]
            subprocess.run(command, check=True)  # noqa: S603 - pip, a pinned requirement
            for wheel in Path(download).glob("*.whl"):
                with zipfile.ZipFile(wheel) as archive:
                    for member in archive.namelist():
                        if member.endswith(suffix):
                            archive.extract(member, ext_dir)
                            copied.append(member)
    return copied


def main(argv: list[str]) -> int:
    ext_dir = Path(argv[1])
    for member in add_host_builds(ext_dir):
        sys.stdout.write(f"host build: {ext_dir / member}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
