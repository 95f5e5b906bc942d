"""Run as a script in a worker-like environment: call one handler N times in-process, print ms.

``python -P bench/inprocess_probe.py <module.function> <logical id> <requests> <json body>`` with
the environment a local stack worker gets (its endpoints, credentials, ``PYTHONPATH=source``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    spec, logical_id, count, body = argv[1], argv[2], int(argv[3]), json.loads(argv[4])
    module_name, _, attribute = spec.rpartition(".")
    devnull = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - closed below
    with devnull, contextlib.redirect_stdout(devnull):
        handler: Any = getattr(importlib.import_module(module_name), attribute)
        sys.path.append(str(REPO_ROOT))  # after source/: the shared fakes only
        from local_stack.testing.event_builders import api_event
        from local_stack.testing.lambda_context import lambda_context

        memory_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128"))
        samples = []
        for _ in range(count):
            event, context = api_event("POST", "/file", body), lambda_context(logical_id, memory_mb)
            started = time.perf_counter()
            answer = handler(event, context)
            samples.append((time.perf_counter() - started) * 1000)
            if answer.get("statusCode") != 200:
                raise RuntimeError(f"{spec} answered {answer}")
    print(json.dumps(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
