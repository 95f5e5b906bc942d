"""Puts the vendored runtime dependencies in ``source/ext`` on ``sys.path``; import it first."""

from __future__ import annotations

import sys
from pathlib import Path

EXT_DIR = Path(__file__).resolve().parent / "ext"


def activate(ext_dir: Path = EXT_DIR) -> None:
    """Insert ``ext_dir`` right after the task root so vendored packages win over the runtime's."""
    path = str(ext_dir)
    if ext_dir.is_dir() and path not in sys.path:
        sys.path.insert(1, path)


activate()
