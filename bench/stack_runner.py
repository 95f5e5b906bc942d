"""``python -m bench.stack_runner <project root>``: the local stack served from another root.

The benchmark uses it to serve a copy of template.yaml with the API throttle lifted, to measure
what the local stack itself can carry. Same classes and log format as ``python -m local_stack``.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from local_stack.config import load_config
from local_stack.server import LocalStack

log = logging.getLogger("bench.stack_runner")


def main(argv: list[str]) -> int:
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s.%(msecs)03d %(message)s",
        datefmt="%H:%M:%S",
    )
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stack = LocalStack(load_config(os.environ, project_root=Path(argv[1])))
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    stack.start()
    log.info("Filestore local stack is up (benchmark runner, root %s)", argv[1])
    while not stopping.wait(0.5):
        pass
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
