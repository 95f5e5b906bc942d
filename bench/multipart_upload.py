"""Multipart upload: a large file as parallel checksummed parts vs. one PUT, local S3 vs. moto."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import requests

from bench.processes import serving
from bench.session import Session
from local_stack.config import DEFAULT_HOST
from local_stack.testing.checksums import sha256_b64
from local_stack.testing.clients import local_s3_client
from local_stack.testing.launcher import free_port, start_local_stack

PARALLEL_PARTS = 4  # as the page sends them (static/web/multipart.js)
MOTO_BUCKET = "bench-plain-moto"
CONTENT_TYPE = "application/octet-stream"
RSS_SAMPLE_SECONDS = 0.01


@dataclass(frozen=True)
class Transfer:
    """One way of sending the file: seconds per run and the server process's resident memory."""

    label: str
    seconds: list[float]
    base_rss_mib: float  # before the first run
    peak_rss_mib: float  # the highest sample during the runs
    complete_s: list[float] | None = None  # CompleteMultipartUpload alone, per run
    complete_growth_mib: float | None = None  # its highest RSS minus the RSS as it started


@dataclass(frozen=True)
class MultipartUpload:
    """The same file through the local S3 endpoint and plain moto, in parts and in one PUT."""

    file_bytes: int
    part_bytes: int
    parallel: int
    local_multipart: Transfer
    local_single: Transfer
    moto_multipart: Transfer
    moto_single: Transfer


class RssSampler:
    """Samples a process's VmRSS in a thread; ``peak()`` is the highest since the last reset."""

    def __init__(self, pid: int) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self._peak = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now_mib(self) -> float:
        for line in self._status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS in {self._status}")

    def _run(self) -> None:
        while not self._stop.wait(RSS_SAMPLE_SECONDS):
            try:
                sample = self.now_mib()
            except OSError:
                return
            with self._lock:
                self._peak = max(self._peak, int(sample * 1024))

    def reset(self) -> None:
        with self._lock:
            self._peak = int(self.now_mib() * 1024)

    def peak(self) -> float:
        with self._lock:
            return max(self._peak / 1024, self.now_mib())

    def __enter__(self) -> RssSampler:
        self.reset()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class Sender:
    """Sends the payload to one S3 endpoint (the local stack's, or a plain moto server)."""

    def __init__(self, s3_url: str, bucket: str, payload: bytes, part_bytes: int) -> None:
        self._client: Any = local_s3_client(s3_url)
        self._bucket = bucket
        self._bytes = payload
        self._payload = memoryview(payload)
        self._part_bytes = part_bytes
        self._ranges = [
            (start, min(start + part_bytes, len(payload)))
            for start in range(0, len(payload), part_bytes)
        ]
        self._checksums = [sha256_b64(self._payload[a:b]) for a, b in self._ranges]
        self._whole_checksum = sha256_b64(self._payload)
        self.complete_s: list[float] = []

    def single(self, key: str) -> None:
        """One presigned PUT signing the length and the whole file's SHA-256 (as POST /file)."""
        url = self._client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self._bucket,
                "Key": key,
                "ContentLength": len(self._payload),
                "ContentType": CONTENT_TYPE,
                "ChecksumSHA256": self._whole_checksum,
                "IfNoneMatch": "*",
            },
            ExpiresIn=900,
        )
        headers = {
            "Content-Type": CONTENT_TYPE,
            "If-None-Match": "*",
            "x-amz-checksum-sha256": self._whole_checksum,
        }
        _put(requests, url, self._bytes, headers)

    def multipart(self, key: str, on_complete: Callable[[], None] = lambda: None) -> None:
        """Create (SHA-256), send the parts 4 at a time to URLs signing length and checksum,
        list them, complete with ``If-None-Match: *``."""
        client, bucket = self._client, self._bucket
        upload_id = client.create_multipart_upload(
            Bucket=bucket, Key=key, ContentType=CONTENT_TYPE, ChecksumAlgorithm="SHA256"
        )["UploadId"]
        local = threading.local()

        def send(number: int) -> None:
            start, end = self._ranges[number - 1]
            url = client.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": bucket,
                    "Key": key,
                    "UploadId": upload_id,
                    "PartNumber": number,
                    "ContentLength": end - start,
                    "ChecksumSHA256": self._checksums[number - 1],
                },
                ExpiresIn=900,
                HttpMethod="PUT",
            )
            if not hasattr(local, "http"):
                local.http = requests.Session()
            headers = {"x-amz-checksum-sha256": self._checksums[number - 1]}
            _put(local.http, url, bytes(self._payload[start:end]), headers)

        with ThreadPoolExecutor(PARALLEL_PARTS) as pool:
            list(pool.map(send, range(1, len(self._ranges) + 1)))
        parts = client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
        on_complete()
        started = time.perf_counter()
        client.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            IfNoneMatch="*",
            MultipartUpload={
                "Parts": [
                    {
                        "PartNumber": part["PartNumber"],
                        "ETag": part["ETag"],
                        "ChecksumSHA256": part.get("ChecksumSHA256", self._checksums[i]),
                    }
                    for i, part in enumerate(parts)
                ]
            },
        )
        self.complete_s.append(time.perf_counter() - started)

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self._bucket, Key=key)


def _put(http: Any, url: str, data: bytes, headers: dict[str, str]) -> None:
    response = http.put(url, data=data, headers=headers, timeout=600)
    if response.status_code != 200:
        raise RuntimeError(f"PUT answered {response.status_code}: {response.text[:500]}")


def _timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _measure_server(
    sampler: RssSampler, sender: Sender, runs: int, name: str
) -> tuple[Transfer, Transfer]:
    """Multipart runs first, then single PUTs, on one server process (its RSS sampled).

    Each object is deleted after its run (untimed), so the server holds one file at a time.
    """
    sender.multipart(f"{name}-warm-up")
    sender.delete(f"{name}-warm-up")
    parts_peaks: list[float] = []
    complete_peaks: list[float] = []
    complete_growth: list[float] = []

    def completing() -> None:  # the parts are in: what follows is CompleteMultipartUpload
        parts_peaks.append(sampler.peak())
        sampler.reset()
        complete_growth.append(-sampler.now_mib())

    base = sampler.now_mib()
    multipart_s = []
    for number in range(runs):
        sampler.reset()
        key = f"{name}-parts-{number}"
        multipart_s.append(_timed(partial(sender.multipart, key, completing)))
        complete_peaks.append(sampler.peak())
        complete_growth[-1] += complete_peaks[-1]
        sender.delete(key)
    single_base = sampler.now_mib()
    single_s, single_peaks = [], []
    for number in range(runs):
        sampler.reset()
        key = f"{name}-single-{number}"
        single_s.append(_timed(partial(sender.single, key)))
        single_peaks.append(sampler.peak())
        sender.delete(key)
    return (
        Transfer(
            f"{name} multipart",
            multipart_s,
            base,
            max(parts_peaks + complete_peaks),
            complete_s=sender.complete_s[1:],
            complete_growth_mib=max(complete_growth),
        ),
        Transfer(f"{name} single PUT", single_s, single_base, max(single_peaks)),
    )


@contextmanager
def _moto_server() -> Iterator[tuple[str, int]]:
    port = free_port()
    url = f"http://{DEFAULT_HOST}:{port}"
    command = [sys.executable, "-m", "moto.server", "-H", DEFAULT_HOST, "-p", str(port)]
    with serving(command, f"{url}/moto-api/", "moto server") as process:
        requests.put(f"{url}/{MOTO_BUCKET}", timeout=30).raise_for_status()
        yield url, process.pid


def measure(session: Session) -> MultipartUpload:
    """The file through a fresh local stack (its own process's RSS), then a plain moto server."""
    config = session.config
    payload = os.urandom(config.multipart_bytes)
    part_bytes = config.multipart_part_bytes
    # A stack of its own: its memory before the first transfer is not another figure's.
    with start_local_stack() as stack, RssSampler(stack.process.pid) as sampler:
        sender = Sender(stack.s3_url, stack.bucket_name, payload, part_bytes)
        local_multipart, local_single = _measure_server(
            sampler, sender, config.multipart_runs, "local"
        )
    with _moto_server() as (moto_url, pid), RssSampler(pid) as sampler:
        sender = Sender(moto_url, MOTO_BUCKET, payload, part_bytes)
        moto_multipart, moto_single = _measure_server(
            sampler, sender, config.multipart_runs, "moto"
        )
    return MultipartUpload(
        len(payload),
        part_bytes,
        PARALLEL_PARTS,
        local_multipart,
        local_single,
        moto_multipart,
        moto_single,
    )
