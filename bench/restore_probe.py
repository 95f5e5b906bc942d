"""Run as a script: load a stopped stack's data folder back as the stack does, timing each part.

``python bench/restore_probe.py <data folder>`` (``PYTHONPATH`` as the stack's) prints JSON: the
seconds the S3 journal, the DynamoDB journal and the invocation queue take to load, one after the
other in this one process (the stack loads DynamoDB in its child process beside S3), and counts.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    from moto.s3.models import s3_backends

    from local_stack.account import ACCOUNT_ID, REGION
    from local_stack.awslambda.invocation_queue import InvocationQueue
    from local_stack.cloudformation.loader import load_stack
    from local_stack.datastore import DataDir
    from local_stack.dynamodb.durable import DurableDynamoDB
    from local_stack.dynamodb.moto_app import moto_dynamodb_app
    from local_stack.s3.journal import ObjectJournal
    from local_stack.testing.launcher import TEMPLATE_PATH

    data = DataDir(Path(argv[1]))
    try:
        backend = s3_backends[ACCOUNT_ID]["aws"]
        for bucket in load_stack(TEMPLATE_PATH, {}).buckets:
            backend.create_bucket(bucket.name, REGION)  # as the stack does before restoring
        started = time.perf_counter()
        objects = ObjectJournal(data.s3_directory).restore()
        s3_s = time.perf_counter() - started
        started = time.perf_counter()
        DurableDynamoDB(moto_dynamodb_app, data.dynamodb_journal)
        dynamodb_s = time.perf_counter() - started
        started = time.perf_counter()
        events = len(InvocationQueue(data.invocation_queue).pending())
        queue_s = time.perf_counter() - started
    finally:
        data.close()
    print(
        json.dumps(
            {
                "s3_s": s3_s,
                "objects": objects,
                "dynamodb_s": dynamodb_s,
                "queue_s": queue_s,
                "events": events,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
