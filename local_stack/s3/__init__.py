"""The local S3 endpoint: SigV4-checked, CORS-aware, event-emitting front of moto's S3."""

from __future__ import annotations

from local_stack.s3.backend import create_backend
from local_stack.s3.endpoint import BucketSettings, S3Endpoint
from local_stack.s3.notifications import event_key

__all__ = ["BucketSettings", "S3Endpoint", "create_backend", "event_key"]
