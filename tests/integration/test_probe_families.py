"""The issue-10 probe: bad bodies, tampering, races, faults and a bounded load run on one stack.

About 500 requests, every one counted: an attempt, then a refusal (4xx, always JSON with
``{"message", "code"}`` and the CORS header when the API answers) or a success. No answer may be
a 5xx, and once the S3 events have landed no file may be inconsistent: each file's record
agrees with what its requests were answered (a revert answered 200 is deleted, a store that
listed the id is stored or deleted later) and with its object in S3 (uploaded and stored files
have their bytes, size and type; pending and deleted files have no object). The figures are
printed (``pytest -s``) and are the ones docs/LOCAL.md gives under "Probing".
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from local_stack.testing.clients import local_s3_client
from local_stack.testing.launcher import RunningStack, start_local_stack

pytestmark = pytest.mark.local_only

SETTLE_SECONDS = 60.0  # how long the S3 events may take to land before the check reports
DEPTHS = [1, 10, 100, 500, 900, 999, 1000, 5000, 100_000]
BAD_TYPES = [
    "text/plain\r\n;a=b",
    "text/plain\n",
    "text/plain\r",
    "text/plain\x0b",
    "text/plain\x0c",
    "text/plain\x85",
    "text/plain\u2028",
    "text/plain\u2029",
    "text/plain\x00",
    'text/plain; a="b\nc"',
    'text/plain; a="é"',
    "h",
    "+a/b",
]
LOAD_FLOWS = 60


@dataclass
class Tally:
    """What the probe sent and what it was answered, per family."""

    attempts: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    malformed_refusals: list[str] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, family: str, what: str, status: int, api: bool, response: Any) -> None:
        with self.lock:
            self.attempts[family] += 1
            if status >= 500:
                self.server_errors.append(f"{family}: {what} -> {status} {response!r:.200}")
            elif status >= 400:
                self.refusals[family] += 1
                if api and not _is_api_refusal(response):
                    self.malformed_refusals.append(f"{family}: {what} -> {status}")

    def inconsistent(self, problem: str) -> None:
        with self.lock:
            self.inconsistencies.append(problem)

    def summary(self) -> str:
        families = ", ".join(
            f"{name} {self.attempts[name]}/{self.refusals[name]}" for name in self.attempts
        )
        return (
            f"attempts {sum(self.attempts.values())}, refusals {sum(self.refusals.values())}, "
            f"5xx {len(self.server_errors)}, inconsistencies {len(self.inconsistencies)} "
            f"(attempts/refusals: {families})"
        )


def _is_api_refusal(response: Any) -> bool:
    if not isinstance(response, requests.Response):
        return True  # a raw-socket answer, checked where it is sent
    try:
        document = response.json()
    except ValueError:
        return False
    return (
        isinstance(document, dict)
        and set(document) == {"message", "code"}
        and "Access-Control-Allow-Origin" in response.headers
    )


@dataclass
class File:
    """One file the probe created, and what its answers say it must be in the end."""

    id: str
    url: str
    headers: dict[str, str]
    revert_token: str
    size: int
    type: str
    body: bytes | None = None  # the bytes S3 accepted, when an upload was answered 200
    expected: set[str] = field(default_factory=lambda: {"pending"})


class Probe:
    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.tally = Tally()
        self.files: list[File] = []
        self.s3 = local_s3_client(stack.s3_url)

    # ---- sending ------------------------------------------------------------------------------
    def api(
        self, family: str, method: str, path: str, *, admin: bool = False, **kwargs: Any
    ) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if admin:
            headers.setdefault("x-api-key", self.stack.api_key)
        url = f"{self.stack.api_url}{path}"
        for pause in (0.2, 0.5, 1.0, 2.0, None):
            response = requests.request(method, url, headers=headers, timeout=60, **kwargs)
            self.tally.count(family, f"{method} {path}", response.status_code, True, response)
            if response.status_code != 429 or pause is None:
                return response
            time.sleep(pause)  # the admin key's usage plan: 50/s, burst 100
        raise AssertionError("unreachable")

    def s3_put(
        self, family: str, url: str, body: bytes, headers: dict[str, str]
    ) -> requests.Response:
        response = requests.put(url, data=body, headers=headers, timeout=60)
        self.tally.count(family, "PUT <s3>", response.status_code, False, response)
        return response

    def raw(self, family: str, port: int, request: bytes, *, close_early: bool = False) -> int:
        """Raw bytes to a port; the answer's status, or 0 when the probe hung up first."""
        with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
            connection.sendall(request)
            if close_early:
                status = 0
            else:
                head = connection.recv(65536).split(b"\r\n", 1)[0]
                status = int(head.split(b" ")[1]) if head else 0
        with self.tally.lock:
            self.tally.attempts[family] += 1
            if status >= 500:
                self.tally.server_errors.append(f"{family}: raw -> {status}")
            elif status >= 400:
                self.tally.refusals[family] += 1
        return status

    def create(self, family: str, name: str = "probe.bin", size: int = 16, **extra: Any) -> File:
        body = {"name": name, "size": size, "type": "application/octet-stream", **extra}
        response = self.api(family, "POST", "/file", json=body)
        assert response.status_code == 200, response.text
        answer = response.json()
        file = File(
            answer["id"],
            answer["url"],
            answer["headers"],
            answer["revert_token"],
            size,
            body["type"],
        )
        with self.tally.lock:
            self.files.append(file)
        return file

    def upload(self, family: str, file: File, body: bytes | None = None) -> int:
        body = body if body is not None else os.urandom(file.size)
        status = self.s3_put(family, file.url, body, file.headers).status_code
        if status == 200:
            file.body, file.expected = body, {"uploaded"}
        return status

    def uploaded(self, family: str) -> File:
        file = self.create(family)
        assert self.upload(family, file) == 200
        return file

    # ---- checking -----------------------------------------------------------------------------
    def describe(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        records: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), 100):
            response = self.api(
                "check",
                "POST",
                "/files",
                admin=True,
                params={"deleted": "yes", "nonstored": "yes"},
                json=ids[start : start + 100],
            )
            assert response.status_code == 200, response.text
            records.update({record["id"]: record for record in response.json()})
        return records

    def object_bytes(self, key: str) -> bytes | None:
        try:
            return self.s3.get_object(Bucket=self.stack.bucket_name, Key=key)["Body"].read()
        except self.s3.exceptions.NoSuchKey:
            return None

    def settle_and_check(self) -> None:
        """Wait for the events to land, then hold every file to its answers and its object."""
        ids = [file.id for file in self.files]
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            records = self.describe(ids)
            problems = [p for file in self.files if (p := self._problem(file, records))]
            if not problems or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        for problem in problems:
            self.tally.inconsistent(problem)

    def _problem(self, file: File, records: dict[str, dict[str, Any]]) -> str | None:
        record = records.get(file.id)
        if record is None:
            return f"{file.id}: no record"
        status = record["status"]
        if status not in file.expected:
            return f"{file.id}: {status}, expected {sorted(file.expected)}"
        stored = self.object_bytes(file.id)
        if status in ("pending", "deleted"):
            return f"{file.id}: {status} but its object exists" if stored is not None else None
        if stored is None:
            return f"{file.id}: {status} without its object"
        if file.body is not None and stored != file.body:
            return f"{file.id}: its object is not the bytes S3 accepted"
        if (record["size"], record["type"]) != (len(stored), file.type):
            return f"{file.id}: record says {record['size']} {record['type']!r}"
        return None


@pytest.fixture(scope="module")
def probe() -> Iterator[Probe]:
    stack = start_local_stack()
    try:
        yield Probe(stack)
    finally:
        stack.stop()


def _port(url: str) -> int:
    return int(urlsplit(url).port or 80)


# ---- the families ---------------------------------------------------------------------------


def bad_bodies(probe: Probe) -> None:
    family = "bad bodies"
    bodies: list[bytes] = []
    for depth in DEPTHS:
        bodies += [b"[" * depth, b"[" * depth + b"]" * depth]
        bodies.append(b'{"name":' + b"[" * depth + b"]" * depth + b',"size":1}')
    bodies += [json.dumps({"name": "a.txt", "size": 1, "type": t}).encode() for t in BAD_TYPES]
    bodies += [
        b"",
        b"{",
        b"null",
        b"[]",
        b'"a.txt"',
        b"\xff\xfe{}",
        b'{"name": "a.txt", "size": 1' + b"0" * 5000 + b"}",
        b'{"name": "a.txt", "size": NaN}',
        b'{"name": "a\\ud800.txt", "size": 1}',
        json.dumps({"name": "n" * 256, "size": 1}).encode(),
        json.dumps({"name": "dir/a.txt", "size": 1}).encode(),
        json.dumps({"name": "a\r\nb", "size": 1}).encode(),
        json.dumps({"name": "a.txt", "size": 0}).encode(),
        json.dumps({"name": "a.txt", "size": 1.5}).encode(),
        json.dumps({"name": "a.txt", "size": "1"}).encode(),
        json.dumps({"name": "a.txt", "size": 10**12}).encode(),  # over MaxFileSize
        json.dumps({"name": "a.txt", "size": 1, "type": None}).encode(),
        b'{"name": "a.txt", "size": 1}' + b" " * (7 * 1024 * 1024),  # event over 6 MB
        b" " * (10 * 1024 * 1024 + 1),  # over API Gateway's 10 MB
    ]
    for body in bodies:
        response = probe.api(
            family, "POST", "/file", data=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (body[:80], response.status_code)
    id_lists: list[bytes] = [b"[" * depth for depth in DEPTHS]
    not_id_lists: list[Any] = [[], ["0" * 32] * 101, ["0" * 31], ["A" * 32], [1], {"ids": []}, None]
    id_lists += [json.dumps(ids).encode() for ids in not_id_lists]
    for method in ("PUT", "POST", "DELETE"):
        for body in id_lists:
            response = probe.api(family, method, "/files", admin=True, data=body)
            assert response.status_code == 400, (method, body[:80], response.status_code)
    long_header = b"GET /dev/config HTTP/1.1\r\nHost: p\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n"
    assert probe.raw(family, _port(probe.stack.api_url), long_header) == 431


def tampering(probe: Probe) -> None:
    family = "tampering"
    for index in range(8):
        file = probe.create(family, f"tamper-{index}.bin", 16)
        other = probe.create(family, f"other-{index}.bin", 16)
        body = os.urandom(16)
        tampered: list[tuple[str, bytes, dict[str, str]]] = [
            (file.url, body, {**file.headers, "Content-Type": "text/html"}),
            (file.url, body[:8], {**file.headers, "Content-Length": "8"}),
            (file.url, body, {k: v for k, v in file.headers.items() if k != "If-None-Match"}),
            (file.url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), body, file.headers),
            (file.url.replace(file.id, other.id), body, file.headers),
        ]
        for url, data, headers in tampered:
            assert probe.s3_put(family, url, data, headers).status_code in (400, 403)
        assert probe.upload(family, file, body) == 200
        assert probe.s3_put(family, file.url, os.urandom(16), file.headers).status_code == 412
        revert = f"/file/{file.id}"
        assert probe.api(family, "DELETE", revert).status_code == 403  # no token
        wrong = {"X-Revert-Token": other.revert_token}
        assert probe.api(family, "DELETE", revert, headers=wrong).status_code == 403
        assert probe.api(family, "DELETE", f"/file/{file.id.upper()}").status_code == 400
        assert probe.api(family, "DELETE", f"/file/{'f' * 32}", headers=wrong).status_code == 404
    ids = json.dumps([probe.files[0].id])
    for sent in ("", "wrong-key-of-twenty-chars"):
        response = probe.api(family, "PUT", "/files", data=ids, headers={"x-api-key": sent})
        assert response.status_code == 403
    key = probe.stack.api_key
    for line in (f"x-api-key:  {key}", f"x-api-key: \t{key}", f"x-api-key: {key} "):
        request = (
            f"PUT /dev/files HTTP/1.1\r\nHost: p\r\n{line}\r\nContent-Length: {len(ids)}\r\n"
            f"Connection: close\r\n\r\n{ids}"
        ).encode()
        assert probe.raw(family, _port(probe.stack.api_url), request) == 403


def races(probe: Probe) -> None:
    family = "races"
    # Two uploads of one id at once: S3 takes one, refuses the other with 412.
    for _ in range(8):
        file = probe.create(family)
        bodies = [os.urandom(file.size), os.urandom(file.size)]
        with ThreadPoolExecutor(2) as pool:
            sent = [pool.submit(probe.s3_put, family, file.url, b, file.headers) for b in bodies]
            statuses = [future.result() for future in sent]
        codes = sorted(response.status_code for response in statuses)
        if codes != [200, 412]:
            probe.tally.inconsistent(f"{file.id}: racing uploads answered {codes}")
        winner = bodies[[response.status_code for response in statuses].index(200)]
        file.body, file.expected = winner, {"uploaded"}
    # Store against revert: exactly one wins.
    for _ in range(8):
        file = probe.uploaded(family)
        with ThreadPoolExecutor(2) as pool:
            store = pool.submit(probe.api, family, "PUT", "/files", admin=True, json=[file.id])
            revert = pool.submit(
                probe.api,
                family,
                "DELETE",
                f"/file/{file.id}",
                headers={"X-Revert-Token": file.revert_token},
            )
        stored = file.id in store.result().json().get("result", [])
        reverted = revert.result().status_code == 200
        if stored == reverted:
            probe.tally.inconsistent(f"{file.id}: store {stored} and revert {reverted}")
        file.expected = {"stored"} if stored else {"deleted"}
    # Store against the admin delete: the delete always wins in the end.
    for _ in range(6):
        file = probe.uploaded(family)
        with ThreadPoolExecutor(2) as pool:
            pool.submit(probe.api, family, "PUT", "/files", admin=True, json=[file.id])
            deleted = pool.submit(probe.api, family, "DELETE", "/files", admin=True, json=[file.id])
        assert file.id in deleted.result().json()["result"]
        file.expected = {"deleted"}
    # Twenty creates at once: twenty ids.
    with ThreadPoolExecutor(20) as pool:
        created = list(pool.map(lambda n: probe.create(family, f"burst-{n}.bin"), range(20)))
    if len({file.id for file in created}) != 20:
        probe.tally.inconsistent("twenty creates at once were not given twenty ids")


def faults(probe: Probe) -> None:
    family = "faults"
    s3_port = _port(probe.stack.s3_url)
    # Uploads cut short: the client hangs up halfway through the body.
    for _ in range(5):
        file = probe.create(family)
        target = urlsplit(file.url)
        head = "".join(f"{name}: {value}\r\n" for name, value in file.headers.items())
        request = (
            f"PUT {target.path}?{target.query} HTTP/1.1\r\nHost: {target.netloc}\r\n{head}\r\n"
        ).encode() + b"x" * (file.size // 2)
        probe.raw(family, s3_port, request, close_early=True)
    # Requests to the API abandoned halfway (the server drops them; nothing to answer).
    for _ in range(3):
        probe.raw(
            family,
            _port(probe.stack.api_url),
            b"POST /dev/file HTTP/1.1\r\nHost: p\r\n",
            close_early=True,
        )
    # A revert, then the upload lands anyway: the object is removed when its event comes.
    for _ in range(4):
        file = probe.create(family)
        token = {"X-Revert-Token": file.revert_token}
        assert probe.api(family, "DELETE", f"/file/{file.id}", headers=token).status_code == 200
        probe.upload(family, file)
        file.expected = {"deleted"}
    # An object written straight to the bucket, with no record: removed when its event comes.
    orphans = [f"{index:032x}" for index in range(3)]
    for key in orphans:
        probe.s3.put_object(Bucket=probe.stack.bucket_name, Key=key, Body=b"orphan")
    # Events no function can use, and a schedule event without its time.
    invoke = probe.stack.invoke
    unusable: list[dict[str, Any]] = [{}, {"Records": [{}]}, {"Records": "x"}]
    for event in unusable:
        answer = invoke("ObjectCreatedFunction", event)
        probe.tally.count(family, "invoke ObjectCreated", answer.status, False, answer)
        if answer.function_error != "Unhandled":
            probe.tally.inconsistent(f"ObjectCreatedFunction took {event!r}")
        elif answer.payload["errorType"] != "UnusableEvent":
            probe.tally.inconsistent(f"{event!r} failed with {answer.payload['errorType']}")
    answer = invoke("ExpireFilesFunction", {"source": "aws.events"})
    probe.tally.count(family, "invoke ExpireFiles", answer.status, False, answer)
    if answer.function_error is not None:
        probe.tally.inconsistent(f"the expiry failed without a time: {answer.payload!r:.200}")
    deadline = time.monotonic() + SETTLE_SECONDS
    while any(probe.object_bytes(key) is not None for key in orphans):
        if time.monotonic() > deadline:
            probe.tally.inconsistent("an object with no record was not removed")
            break
        time.sleep(0.2)


def load(probe: Probe) -> None:
    family = "load"

    def flow(index: int) -> None:
        file = probe.create(family, f"load-{index:03d}.txt", 1 + index * 97, type="text/plain")
        file.type = "text/plain"
        probe.upload(family, file)

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(flow, range(LOAD_FLOWS)))


FAMILIES: list[Callable[[Probe], None]] = [bad_bodies, tampering, races, faults, load]


def test_every_probe_family_is_answered_without_a_5xx_and_leaves_no_inconsistency(
    probe: Probe,
) -> None:
    for family in FAMILIES:
        family(probe)
    probe.settle_and_check()
    tally = probe.tally

    print(f"\nprobe: {tally.summary()}")  # the figures docs/LOCAL.md quotes
    assert tally.server_errors == [], tally.server_errors
    assert tally.malformed_refusals == [], tally.malformed_refusals
    assert tally.inconsistencies == [], tally.inconsistencies
    assert 400 <= sum(tally.attempts.values()) <= 700, tally.summary()
    log = probe.stack.log_text()
    assert "Traceback" not in log, log
