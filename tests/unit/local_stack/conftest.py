"""Fixtures shared by the local stack's unit tests: the in-process local S3 endpoint."""

from __future__ import annotations

import pytest

from local_stack.testing.s3_wsgi import LocalS3


@pytest.fixture
def s3() -> LocalS3:
    """The local S3 endpoint (SigV4, body checks, CORS, events) over a fresh moto backend."""
    return LocalS3()
