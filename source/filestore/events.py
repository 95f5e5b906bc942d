"""Reads what the event functions need from their events, and nothing more (UnusableEvent)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote_plus

from filestore.errors import UnusableEvent


class CreatedObject(NamedTuple):
    """One s3:ObjectCreated record: the bucket and the object's key, decoded."""

    bucket: str
    key: str


def created_objects(event: Mapping[str, Any]) -> list[CreatedObject]:
    """Each record's bucket and key (S3 encodes keys with "+" for spaces); only they are read."""
    try:
        records = event["Records"]
        found = [
            (record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]) for record in records
        ]
    except (KeyError, TypeError, AttributeError) as err:
        raise UnusableEvent(f"not an S3 event notification: {_problem(err)}") from err
    objects = []
    for position, (bucket, key) in enumerate(found):
        if not isinstance(bucket, str) or not isinstance(key, str) or not key:
            raise UnusableEvent(f"record {position} names no bucket and object key")
        objects.append(CreatedObject(bucket=bucket, key=unquote_plus(key)))
    return objects


def scheduled_time(event: Any) -> str | None:
    """The schedule's ``time``, for the log only: an event without one is just as good."""
    value = event.get("time") if isinstance(event, dict) else None
    return value if isinstance(value, str) else None


def _problem(err: Exception) -> str:
    if isinstance(err, KeyError):
        return f"no {err.args[0]!r} field" if err.args else "a field is missing"
    return f"a field has the wrong shape ({err})"
