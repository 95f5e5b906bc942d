"""Handler durations: the upload flow run in-process on moto, feeding the cost on paper."""

from __future__ import annotations

from collections import defaultdict

from bench.aws_calls import CallLog
from bench.inprocess import Invocation, body_of
from bench.results import FigureResult, HandlerProfile
from bench.session import Session
from bench.stats import median, percentile

API_KEY = "bench-api-key-0123456789"  # the in-process handlers never see the gateway's check
CONTENT = b"benchmark file content\n"
FLOW = ("GetConfigFunction", "CreateFileFunction", "ObjectCreatedFunction", "StoreFilesFunction")


def run_flow(session: Session, files: int) -> list[str]:
    """Upload and store ``files`` files the way a browser and a backend do; return their ids."""
    stack = session.inprocess()
    stack.reset()
    runs: dict[str, list[Invocation]] = defaultdict(list)
    ids = []
    for number in range(files):
        runs["GetConfigFunction"].append(stack.api("GetConfigFunction", "GET", "/config"))
        created = stack.api(
            "CreateFileFunction",
            "POST",
            "/file",
            {"name": f"bench-{number}.txt", "size": len(CONTENT), "type": "text/plain"},
        )
        runs["CreateFileFunction"].append(created)
        answer = body_of(created)
        stack.put_object(answer, CONTENT)
        event = stack.object_created_event(answer["id"], len(CONTENT))
        runs["ObjectCreatedFunction"].append(stack.invoke("ObjectCreatedFunction", event))
        stored = stack.api("StoreFilesFunction", "PUT", "/files", [answer["id"]], api_key=API_KEY)
        runs["StoreFilesFunction"].append(stored)
        if body_of(stored).get("problems"):
            raise RuntimeError(f"PUT /files did not store {answer['id']}: {body_of(stored)}")
        ids.append(str(answer["id"]))
    for logical_id, invocations in runs.items():
        calls = CallLog()
        for invocation in invocations:
            calls.merge(invocation.calls)
        session.state.profiles[logical_id] = HandlerProfile(
            logical_id=logical_id,
            median_ms=median([invocation.milliseconds for invocation in invocations]),
            invocations=len(invocations),
            calls=calls,
        )
        session.state.extra[f"p99_ms.{logical_id}"] = percentile(
            [invocation.milliseconds for invocation in invocations], 99
        )
    return ids


def measure(session: Session) -> FigureResult:
    """Durations and AWS calls per function over the upload flow."""
    files = session.config.batch_ids
    session.state.extra["stored_ids"] = run_flow(session, files)
    result = FigureResult(
        title="Handler durations (in-process)",
        target="(no target) input to the cost on paper",
        how=(
            f"{files} uploads, each: GET /config, POST /file, the object PUT straight into moto, "
            "the s3:ObjectCreated event, PUT /files with its id. Every function is the real "
            "handler module called in this process with the event AWS would send, against "
            "in-process moto; AWS calls counted with botocore hooks."
        ),
    )
    rows = []
    for logical_id in FLOW:
        profile = session.state.profiles[logical_id]
        per_call = ", ".join(
            f"{name} {profile.per_invocation(float(n)):g}"
            for name, n in sorted(profile.calls.calls.items())
        )
        rows.append(
            f"| {logical_id} | {profile.median_ms:.2f} | "
            f"{session.state.extra[f'p99_ms.{logical_id}']:.2f} | {per_call or '-'} |"
        )
    create = session.state.profiles["CreateFileFunction"].median_ms
    result.measured = f"POST /file handler {create:.1f} ms median"
    result.details = [
        "| function | median ms | p99 ms | AWS calls per invocation |",
        "|---|---|---|---|",
        *rows,
    ]
    return result
