"""Upload path: a large PUT through the local S3 endpoint vs. the same PUT to plain moto."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

import requests

from bench.local_client import create_file, put_presigned
from bench.processes import serving
from bench.session import Session
from local_stack.config import DEFAULT_HOST
from local_stack.testing.clients import local_s3_client
from local_stack.testing.launcher import RunningStack, free_port

MOTO_BUCKET = "bench-plain-moto"
CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class UploadPath:
    """Seconds of the same PUT to the local S3 endpoint and to plain moto, alternating."""

    payload_bytes: int
    local_s: list[float]
    moto_s: list[float]


def _put_to_moto(moto_url: str, payload: bytes, number: int) -> float:
    client = local_s3_client(moto_url)  # moto checks no signature
    params: dict[str, Any] = {
        "Bucket": MOTO_BUCKET,
        "Key": f"plain-{number}",
        "ContentLength": len(payload),
        "ContentType": CONTENT_TYPE,
    }
    url = client.generate_presigned_url("put_object", Params=params, ExpiresIn=900)
    return put_presigned(url, payload, {"Content-Type": CONTENT_TYPE}).seconds


def _put_to_local(
    stack: RunningStack, http: requests.Session, payload: bytes, number: int
) -> float:
    answer = create_file(http, stack, f"big-{number}.bin", len(payload), CONTENT_TYPE)
    if "url" not in answer:
        raise RuntimeError(f"POST /file answered parts, not one PUT, for {len(payload)} bytes")
    return put_presigned(answer["url"], payload, answer["headers"]).seconds


def measure(session: Session) -> UploadPath:
    """Interleaved PUTs of the same bytes to both endpoints."""
    config = session.config
    stack = session.local_stack()
    payload = os.urandom(config.upload_bytes)
    port = free_port()
    moto_url = f"http://{DEFAULT_HOST}:{port}"
    command = [sys.executable, "-m", "moto.server", "-H", DEFAULT_HOST, "-p", str(port)]
    local_s, moto_s = [], []
    with serving(command, f"{moto_url}/moto-api/", "moto server"), requests.Session() as http:
        requests.put(f"{moto_url}/{MOTO_BUCKET}", timeout=30).raise_for_status()
        _put_to_moto(moto_url, payload, -1)  # warm-up both paths
        _put_to_local(stack, http, payload, -1)
        for number in range(config.upload_runs):
            moto_s.append(_put_to_moto(moto_url, payload, number))
            local_s.append(_put_to_local(stack, http, payload, number))
    return UploadPath(len(payload), local_s, moto_s)
