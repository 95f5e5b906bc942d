"""Handler durations: the upload flow run in-process on moto, feeding the cost on paper."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from bench.aws_calls import CallLog
from bench.inprocess import Invocation
from bench.session import Session
from bench.stats import median
from local_stack.testing.event_builders import s3_object_created_event

API_KEY = "bench-api-key-0123456789"  # the in-process handlers never see the gateway's check
CONTENT = b"benchmark file content\n"
FLOW = ("GetConfigFunction", "CreateFileFunction", "ObjectCreatedFunction", "StoreFilesFunction")


@dataclass(frozen=True)
class HandlerProfile:
    """One function called in-process: each call's milliseconds and all their AWS calls."""

    logical_id: str
    samples_ms: list[float]
    calls: CallLog  # summed over the invocations

    @classmethod
    def of(cls, logical_id: str, invocations: Sequence[Invocation]) -> HandlerProfile:
        calls = CallLog()
        for invocation in invocations:
            calls.merge(invocation.calls)
        return cls(logical_id, [invocation.milliseconds for invocation in invocations], calls)

    @property
    def median_ms(self) -> float:
        return median(self.samples_ms)

    def per_invocation(self, total: float) -> float:
        return total / len(self.samples_ms) if self.samples_ms else 0.0


@dataclass(frozen=True)
class HandlerDurations:
    """The functions of one upload, each called once per file, and the files stored."""

    files: int
    profiles: dict[str, HandlerProfile]  # by logical id, in FLOW order
    stored_ids: list[str]


def measure(session: Session) -> HandlerDurations:
    """Upload and store files the way a browser and a backend do, timing every function."""
    stack = session.inprocess()
    stack.reset()
    runs: dict[str, list[Invocation]] = defaultdict(list)
    ids = []
    for number in range(session.config.batch_ids):
        runs["GetConfigFunction"].append(stack.api("GetConfigFunction", "GET", "/config"))
        body = {"name": f"bench-{number}.txt", "size": len(CONTENT), "type": "text/plain"}
        created = stack.api("CreateFileFunction", "POST", "/file", body)
        runs["CreateFileFunction"].append(created)
        answer = created.body()
        stack.put_object(answer, CONTENT)
        event = s3_object_created_event(stack.bucket_name, answer["id"], len(CONTENT))
        runs["ObjectCreatedFunction"].append(stack.invoke("ObjectCreatedFunction", event))
        stored = stack.api("StoreFilesFunction", "PUT", "/files", [answer["id"]], api_key=API_KEY)
        runs["StoreFilesFunction"].append(stored)
        if stored.body().get("problems"):
            raise RuntimeError(f"PUT /files did not store {answer['id']}: {stored.body()}")
        ids.append(str(answer["id"]))
    profiles = {logical_id: HandlerProfile.of(logical_id, runs[logical_id]) for logical_id in FLOW}
    return HandlerDurations(files=len(ids), profiles=profiles, stored_ids=ids)
