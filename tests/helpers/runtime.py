"""Run a script on the functions' runtime interpreter (``make runtime``) and read its JSON."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local_stack.awslambda.interpreters import runtime_interpreter


def run_on_runtime(script: str, *args: str, env: Mapping[str, str], cwd: Path | None = None) -> Any:
    """``python3.13 -c script args`` (the template's Runtime); what it printed, as JSON."""
    python = runtime_interpreter("python3.13")
    assert python is not None, "no python3.13 runtime environment: run `make runtime`"
    completed = subprocess.run(
        [str(python), "-c", script, *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)
