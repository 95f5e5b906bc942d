"""Powertools Logger, Tracer and Metrics shared by every function (configured by POWERTOOLS_*)."""

from __future__ import annotations

import os
import warnings
from enum import StrEnum

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

# template.yaml sets POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE; the same defaults
# apply when a module is imported before its environment is set (tests, tools).
SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "filestore")
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Filestore")

# Filestore reaches AWS only through botocore: patching just it keeps X-Ray's subsegments for every
# AWS call while sparing the cold start the import and patching of every other library X-Ray
# supports (requests, httplib, sqlite3, ...), which ``Tracer()`` would do.
TRACED_MODULES = ("botocore",)

logger = Logger(service=SERVICE_NAME)
tracer = Tracer(service=SERVICE_NAME, patch_modules=TRACED_MODULES)
metrics = Metrics(service=SERVICE_NAME, namespace=METRICS_NAMESPACE)
EMPTY_METRICS_WARNING = "No application metrics to publish"


def quiet_empty_metrics_warning() -> None:
    """Silence the warning ``log_metrics`` gives when an invocation published no metric.

    Functions that count something only on some invocations (a refused request, an expiry run
    with nothing due, a duplicate event) are fine without metrics; Powertools' documented
    answer is this filter. Functions that never publish are not decorated with ``log_metrics``.
    """
    warnings.filterwarnings("ignore", message=EMPTY_METRICS_WARNING, category=UserWarning)


quiet_empty_metrics_warning()


class Metric(StrEnum):
    """The EMF metrics the functions publish."""

    FILES_REQUESTED = "FilesRequested"
    FILES_UPLOADED = "FilesUploaded"
    BYTES_UPLOADED = "BytesUploaded"
    FILES_STORED = "FilesStored"
    FILES_DELETED = "FilesDeleted"
    FILES_EXPIRED = "FilesExpired"
    FILES_REJECTED = "FilesRejected"


def count(metric: Metric, value: int = 1) -> None:
    """Add ``value`` to a count metric (bytes for BytesUploaded); zero adds nothing."""
    if value:
        unit = MetricUnit.Bytes if metric is Metric.BYTES_UPLOADED else MetricUnit.Count
        metrics.add_metric(name=metric.value, unit=unit, value=value)
