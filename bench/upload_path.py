"""Upload path: a large PUT through the local S3 endpoint vs. the same PUT to plain moto."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import requests

from bench.local_api import HOST, LocalStack, free_port
from bench.results import FigureResult
from bench.session import Session
from bench.stats import median, ratio

TARGET_RATIO = 0.8
MOTO_BUCKET = "bench-plain-moto"
CONTENT_TYPE = "application/octet-stream"
MIB = 1024 * 1024


@contextmanager
def moto_server() -> Iterator[str]:
    """``python -m moto.server`` on a free 127.0.0.1 port, in its own process like the stack."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"moto server exited with {process.returncode}")
            try:
                requests.get(f"{url}/moto-api/", timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto server did not answer within 60 s") from None
                time.sleep(0.05)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def _timed_put(url: str, payload: bytes, headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = requests.put(url, data=payload, headers=headers, timeout=300)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"PUT answered {response.status_code}: {response.text[:500]}")
    return elapsed


def _put_to_moto(moto_url: str, payload: bytes, number: int) -> float:
    client = boto3.client(
        "s3",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # moto ignores credentials
    )
    url = client.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": MOTO_BUCKET,
            "Key": f"plain-{number}",
            "ContentLength": len(payload),
            "ContentType": CONTENT_TYPE,
        },
        ExpiresIn=900,
    )
    return _timed_put(url, payload, {"Content-Type": CONTENT_TYPE})


def _put_to_local(stack: LocalStack, payload: bytes, number: int) -> float:
    created = requests.post(
        f"{stack.api_url}/file",
        json={"name": f"big-{number}.bin", "size": len(payload), "type": CONTENT_TYPE},
        timeout=30,
    )
    created.raise_for_status()
    answer = created.json()
    return _timed_put(answer["url"], payload, dict(answer["headers"]))


def measure(session: Session) -> FigureResult:
    """Interleaved PUTs of the same bytes to both endpoints; compare median MiB/s."""
    config = session.config
    stack = session.local_stack()
    payload = os.urandom(config.upload_bytes)
    local_s, moto_s = [], []
    with moto_server() as moto_url:
        requests.put(f"{moto_url}/{MOTO_BUCKET}", timeout=30).raise_for_status()
        _put_to_moto(moto_url, payload, -1)  # warm-up both paths
        _put_to_local(stack, payload, -1)
        for number in range(config.upload_runs):
            moto_s.append(_put_to_moto(moto_url, payload, number))
            local_s.append(_put_to_local(stack, payload, number))
    mib = len(payload) / MIB
    local_rate, moto_rate = mib / median(local_s), mib / median(moto_s)
    share = ratio(local_rate, moto_rate)
    result = FigureResult(
        title="Upload path",
        target=f"≥ {TARGET_RATIO:g}x plain moto's throughput",
        measured=f"{share:.2f}x ({local_rate:.0f} vs. {moto_rate:.0f} MiB/s, {mib:.0f} MiB PUT)",
        how=(
            f"The same {mib:.0f} MiB of random bytes PUT with `requests` to a presigned URL "
            "from `POST /file` on the local S3 endpoint (SigV4 check, signed Content-Length, "
            "Content-Type and If-None-Match, then moto, then the s3:ObjectCreated event) and to "
            "a presigned URL of a plain `python -m moto.server` (moto checks no signature). Both "
            "servers run in their own process on 127.0.0.1; the PUTs alternate, median of "
            f"{config.upload_runs} each after one warm-up PUT to each."
        ),
        details=[
            "| endpoint | median s | MiB/s | runs (s) |",
            "|---|---|---|---|",
            f"| local S3 endpoint | {median(local_s):.3f} | {local_rate:.0f} | "
            + ", ".join(f"{s:.3f}" for s in local_s)
            + " |",
            f"| plain moto server | {median(moto_s):.3f} | {moto_rate:.0f} | "
            + ", ".join(f"{s:.3f}" for s in moto_s)
            + " |",
        ],
    )
    result.judge(
        share >= TARGET_RATIO,
        f"the local endpoint reaches {share:.2f}x moto's throughput, "
        f"{TARGET_RATIO - share:.2f} short of {TARGET_RATIO:g}x",
    )
    return result
