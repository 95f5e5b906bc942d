"""moto's S3 as an in-process WSGI app, the backend the endpoint forwards checked requests to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def create_backend() -> WSGIApplication:
    """moto 5.2.5's Flask app for the S3 service alone (path-style, any Host).

    ``DomainDispatcherApplication`` would pick the service from Host / Authorization per
    request; the endpoint only ever forwards S3 requests, so the S3 app is used directly. Its
    state lives in moto's process-wide ``s3_backends`` (account 123456789012).
    """
    from moto.moto_server.werkzeug_app import create_backend_app

    return cast("WSGIApplication", create_backend_app("s3"))


def s3_models() -> Any:
    """moto's S3 backend object (its buckets, keys and uploads) behind ``create_backend``'s app."""
    from moto.s3.models import s3_backends

    from local_stack.account import ACCOUNT_ID

    return s3_backends[ACCOUNT_ID]["aws"]
