"""What a browser and a backend send a running local stack, with every answer checked."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from local_stack.testing.launcher import RunningStack

LOG_TAIL_CHARS = 2000


def checked(response: requests.Response, stack: RunningStack | None = None) -> requests.Response:
    """``response`` if it is 2xx; else raise with its answer (and the tail of the stack's log)."""
    if 200 <= response.status_code < 300:
        return response
    log = f"\n--- local stack log ---\n{stack.log_text()[-LOG_TAIL_CHARS:]}" if stack else ""
    raise RuntimeError(
        f"{response.request.method} {response.url.split('?')[0]} answered "
        f"{response.status_code}: {response.text[:500]}{log}"
    )


def create_file(
    http: requests.Session, stack: RunningStack, name: str, size: int, content_type: str
) -> dict[str, Any]:
    """``POST /file``: the answer with the presigned URL, its headers and the file's id."""
    body = {"name": name, "size": size, "type": content_type}
    answer: dict[str, Any] = checked(
        http.post(f"{stack.api_url}/file", json=body, timeout=30), stack
    ).json()
    return answer


@dataclass(frozen=True)
class TimedPut:
    """How long a presigned PUT took, and when (wall clock) its response was back."""

    seconds: float
    answered_at: float


def put_presigned(url: str, content: bytes, headers: Mapping[str, str]) -> TimedPut:
    """PUT ``content`` to a presigned URL as the browser does; raise unless S3 answers 200."""
    started = time.perf_counter()
    response = requests.put(url, data=content, headers=dict(headers), timeout=300)
    timed = TimedPut(time.perf_counter() - started, time.time())
    if response.status_code != 200:
        raise RuntimeError(f"PUT answered {response.status_code}: {response.text[:500]}")
    return timed


def store_files(http: requests.Session, stack: RunningStack, ids: Sequence[str]) -> None:
    """``PUT /files`` with the API key; raise unless every file was stored."""
    stored = checked(
        http.put(
            f"{stack.api_url}/files",
            json=list(ids),
            headers={"x-api-key": stack.api_key},
            timeout=30,
        ),
        stack,
    ).json()
    if stored.get("problems"):
        raise RuntimeError(f"PUT /files could not store the files: {stored}")
