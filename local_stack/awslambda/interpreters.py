"""Which interpreter runs a function's workers: the one its ``Runtime`` names (``make runtime``).

``make runtime`` builds ``.runtime/python3.13`` (python3.13, the boto3 the Lambda runtime ships,
the host's builds of the vendored native modules). Without it a function runs on the dev
interpreter, and the stack says so once, loudly: code that works there can fail on Lambda.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from local_stack.config import PROJECT_ROOT

RUNTIME_ENVIRONMENTS = PROJECT_ROOT / ".runtime"

log = logging.getLogger("local_stack.awslambda")


def runtime_interpreter(runtime: str, root: Path = RUNTIME_ENVIRONMENTS) -> Path | None:
    """The interpreter ``make runtime`` installed for ``runtime`` (``python3.13``), if any."""
    candidate = root / runtime / "bin" / "python"
    return candidate if os.access(candidate, os.X_OK) else None


def choose_interpreters(
    runtimes: Iterable[str], root: Path = RUNTIME_ENVIRONMENTS, fallback: str = sys.executable
) -> dict[str, str]:
    """An interpreter for each runtime; the dev one, with one warning, where none is installed."""
    chosen: dict[str, str] = {}
    for runtime in sorted(set(runtimes)):
        found = runtime_interpreter(runtime, root)
        if found is None:
            version = ".".join(str(part) for part in sys.version_info[:2])
            log.warning(
                "WARNING: no %s interpreter: functions with Runtime %s run on the dev Python %s "
                "instead; install python3.13 (pyenv install 3.13) and run `make runtime`",
                runtime,
                runtime,
                version,
            )
            chosen[runtime] = fallback
        else:
            chosen[runtime] = str(found)
    return chosen
