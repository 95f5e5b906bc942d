"""Batch info: DynamoDB calls made by POST /files with 100 ids (one BatchGetItem expected)."""

from __future__ import annotations

from bench.inprocess import body_of
from bench.results import FigureResult, HandlerProfile
from bench.session import Session
from bench.upload_flow import API_KEY, run_flow


def measure(session: Session) -> FigureResult:
    """Describe 100 stored files in one request and count the DynamoDB calls it makes."""
    wanted = session.config.batch_ids
    ids: list[str] = session.state.extra.get("stored_ids") or run_flow(session, wanted)
    stack = session.inprocess()
    described = stack.api("DescribeFilesFunction", "POST", "/files", ids[:wanted], api_key=API_KEY)
    answer = body_of(described)
    if not isinstance(answer, list) or len(answer) != len(ids[:wanted]):
        count = len(answer) if isinstance(answer, list) else answer
        raise RuntimeError(f"POST /files with {wanted} stored ids described {count}")
    calls = described.calls
    session.state.profiles["DescribeFilesFunction"] = HandlerProfile(
        logical_id="DescribeFilesFunction",
        median_ms=described.milliseconds,
        invocations=1,
        calls=calls,
    )
    batch_gets = calls.count("dynamodb", "BatchGetItem")
    dynamodb = calls.count("dynamodb")
    other = {key: n for key, n in calls.calls.items() if key != "dynamodb.BatchGetItem"}
    result = FigureResult(
        title="Batch info",
        target=f"1 DynamoDB call for POST /files with {wanted} ids (+ unprocessed-key retries)",
        measured=f"{dynamodb} DynamoDB call(s): {batch_gets} BatchGetItem",
        how=(
            f"`POST /files` with {wanted} ids of stored files, through DescribeFilesFunction's "
            "handler in-process on moto, calls counted with a botocore `after-call` hook. moto "
            "never returns `UnprocessedKeys`, so no retry is expected here."
        ),
    )
    result.details = [
        f"All {len(answer)} files described; {calls.items_read} items read; "
        f"handler took {described.milliseconds:.1f} ms. Other AWS calls: "
        + (", ".join(f"{key} {n}" for key, n in sorted(other.items())) or "none")
        + " (presigning download URLs makes no call)."
    ]
    result.judge(
        dynamodb == 1 and batch_gets == 1,
        f"{dynamodb} DynamoDB calls instead of 1 ({dict(calls.calls)}): describe must read "
        "all ids with one BatchGetItem",
    )
    return result
