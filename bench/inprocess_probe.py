"""Run as a script in a worker-like environment: call one handler N times in-process, print ms.

``python -P bench/inprocess_probe.py <module.function> <requests> <json body>`` with the
environment a local stack worker gets (its endpoints, credentials, ``PYTHONPATH=source``).
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


class _Context:
    function_name = "CreateFileFunction"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:CreateFileFunction"
    memory_limit_in_mb = "256"
    aws_request_id = "bench"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def main(argv: list[str]) -> int:
    spec, count, body = argv[1], int(argv[2]), json.loads(argv[3])
    module_name, _, attribute = spec.rpartition(".")
    devnull = Path(os.devnull).open("w", encoding="utf-8")  # noqa: SIM115 - closed below
    with devnull, contextlib.redirect_stdout(devnull):
        handler: Any = getattr(importlib.import_module(module_name), attribute)
        sys.path.append(str(REPO_ROOT))  # after source/: the event builder only
        from bench.events import api_event

        samples = []
        for _ in range(count):
            event = api_event("POST", "/file", body)
            started = time.perf_counter()
            answer = handler(event, _Context())
            samples.append((time.perf_counter() - started) * 1000)
            if answer.get("statusCode") != 200:
                raise RuntimeError(f"{spec} answered {answer}")
    print(json.dumps(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
