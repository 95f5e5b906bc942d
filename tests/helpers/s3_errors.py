"""Read S3's XML error bodies (`<Error><Code>…</Code>…</Error>`) in tests."""

from __future__ import annotations

from xml.etree import ElementTree


def s3_error(data: bytes) -> dict[str, str]:
    """The fields of an S3 error body; fails the test when the body is not an `<Error>`."""
    root = ElementTree.fromstring(data)
    assert root.tag == "Error", data
    return {child.tag: child.text or "" for child in root}


def s3_error_code(data: bytes) -> str:
    """The `Code` of an S3 error body."""
    return s3_error(data).get("Code", "")
