"""Batch info: DynamoDB calls made by POST /files with 100 ids (one BatchGetItem expected)."""

from __future__ import annotations

from dataclasses import dataclass

from bench.handler_durations import API_KEY, HandlerDurations, HandlerProfile
from bench.session import Session


@dataclass(frozen=True)
class BatchInfo:
    """One POST /files with the ids the upload flow stored: files described and calls made."""

    ids: int
    described: int
    profile: HandlerProfile  # DescribeFilesFunction, one invocation


def measure(session: Session, flow: HandlerDurations) -> BatchInfo:
    """Describe the files the upload flow stored in one request, counting its AWS calls."""
    ids = flow.stored_ids[: session.config.batch_ids]
    described = session.inprocess().api(
        "DescribeFilesFunction", "POST", "/files", ids, api_key=API_KEY
    )
    answer = described.body()
    if not isinstance(answer, list) or len(answer) != len(ids):
        count = len(answer) if isinstance(answer, list) else answer
        raise RuntimeError(f"POST /files with {len(ids)} stored ids described {count}")
    profile = HandlerProfile.of("DescribeFilesFunction", [described])
    return BatchInfo(ids=len(ids), described=len(answer), profile=profile)
