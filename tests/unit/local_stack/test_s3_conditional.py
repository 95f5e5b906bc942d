"""Conditional uploads (If-None-Match: *) succeed once per key, even when they race."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from local_stack.s3.backend import create_backend
from local_stack.testing.s3_wsgi import LocalS3
from tests.helpers.s3_errors import s3_error_code as error_code

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from werkzeug.test import TestResponse


def test_a_second_upload_to_the_same_key_is_refused_with_412(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    first = s3.send("PUT", url, headers, b"hello")

    second = s3.send("PUT", url, headers, b"HELLO")

    assert first.status_code == 200
    assert (second.status_code, error_code(second.data)) == (412, "PreconditionFailed")
    assert s3.client.get_object(Bucket=s3.bucket, Key="file-1")["Body"].read() == b"hello"


def test_if_none_match_with_an_etag_is_not_implemented_for_put(s3: LocalS3) -> None:
    url, headers = s3.presigned_put("file-1", 5, "text/plain", IfNoneMatch='"abc"')

    response = s3.send("PUT", url, {**headers, "If-None-Match": '"abc"'}, b"hello")

    assert (response.status_code, error_code(response.data)) == (501, "NotImplemented")


class GatedBackend:
    """moto, where the first PUT waits inside the backend until the test releases it."""

    def __init__(self) -> None:
        self._moto = create_backend()
        self._count_lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0
        self.first_inside = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "PUT" or "file-1" not in environ["PATH_INFO"]:
            return self._moto(environ, start_response)
        with self._count_lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            first = not self.first_inside.is_set()
            self.first_inside.set()
        try:
            if first:
                assert self.release.wait(timeout=30), "the test never released the first PUT"
            return self._moto(environ, start_response)
        finally:
            with self._count_lock:
                self.inside -= 1


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting until {what}"
        time.sleep(0.01)


def test_racing_conditional_uploads_of_one_key_take_turns_and_only_one_wins() -> None:
    gate = GatedBackend()
    s3 = LocalS3(backend=gate)
    url, headers = s3.presigned_put("file-1", 5, "text/plain")
    responses: list[TestResponse] = []

    def upload(body: bytes) -> None:
        responses.append(s3.send("PUT", url, headers, body))

    first = threading.Thread(target=upload, args=(b"first",))
    first.start()
    assert gate.first_inside.wait(timeout=30)
    second = threading.Thread(target=upload, args=(b"secnd",))
    second.start()
    # The second upload is queued on the key's lock while the first is inside moto.
    wait_until(lambda: s3.key_locks.users(s3.bucket, "file-1") == 2, "the second PUT queues")
    gate.release.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert gate.most_inside == 1
    assert sorted(response.status_code for response in responses) == [200, 412]
    assert s3.client.get_object(Bucket=s3.bucket, Key="file-1")["Body"].read() == b"first"
    assert s3.key_locks.users(s3.bucket, "file-1") == 0
