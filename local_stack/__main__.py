"""``python -m local_stack`` (``make run``): serve the whole Filestore app offline until Ctrl-C."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.cloudformation.exceptions import TemplateError
from local_stack.config import ConfigError, load_config
from local_stack.stack import LocalStack, StartupError

log = logging.getLogger("local_stack")


def _configure_logging() -> None:
    logging.basicConfig(
        stream=sys.stdout,
        level=logging.INFO,
        format="%(asctime)s.%(msecs)03d %(message)s",
        datefmt="%H:%M:%S",
    )
    # Per-request lines of the S3/web/DynamoDB servers would bury the API log (and print
    # presigned query strings); the S3 endpoint and the gateway log what matters.
    for noisy in ("werkzeug", "botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _banner(stack: LocalStack) -> str:
    config = stack.config
    key_note = (
        " (generated: set FILESTORE_API_KEY to choose one)" if config.api_key_generated else ""
    )
    buckets = ", ".join(bucket.name for bucket in stack.model.buckets)
    functions = ", ".join(stack.model.functions)
    lines = [
        "Filestore local stack is up (no AWS account used)",
        f"  API        {stack.api_url}",
        f"  S3         {stack.s3_url}   buckets: {buckets}",
        f"  web page   {stack.web_url}",
        f"  Lambda     {stack.lambda_url}   (AWS_ENDPOINT_URL_LAMBDA, local keys below)",
        f"  API key    {config.api_key}{key_note}",
        f"  AWS keys   {ACCESS_KEY_ID} / {SECRET_ACCESS_KEY} (S3, Lambda; region {REGION})",
        f"  functions  {functions}",
        f"  data       {_data_line(stack)}",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def _data_line(stack: LocalStack) -> str:
    """Where the stack keeps its state, and what it found there at start."""
    folder = stack.config.data_dir
    if folder is None:
        return "in memory (FILESTORE_DATA_DIR is empty): nothing is kept after it stops"
    objects = "object" if stack.restored_objects == 1 else "objects"
    events = "event" if stack.resumed_events == 1 else "events"
    return (
        f"{folder} ({stack.restored_objects} {objects} kept, "
        f"{stack.resumed_events} {events} resumed)"
    )


def main() -> int:
    _configure_logging()
    try:
        config = load_config(os.environ)
        stack = LocalStack(config)
    except (ConfigError, TemplateError, StartupError) as err:
        log.error("local stack: %s", err)
        return 2
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        # A second Ctrl-C while stopping ends the process at once.
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        stack.start()
    except StartupError as err:
        log.error("local stack: %s", err)
        return 1
    log.info("%s", _banner(stack))
    while not stopping.wait(0.5):
        pass
    log.info("Stopping the local stack ...")
    stack.stop()
    log.info("Stopped.")
    return 0


def _skip_unused_log_record_fields() -> None:
    # Each request logs about six lines and the format shows none of these, so the stack process
    # skips collecting them (the logging HOWTO's "Optimization"). Process-wide, so only here.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


if __name__ == "__main__":
    _skip_unused_log_record_fields()
    sys.exit(main())
