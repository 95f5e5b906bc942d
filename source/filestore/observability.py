"""Powertools Logger, Tracer and Metrics shared by every function (configured by POWERTOOLS_*)."""

from __future__ import annotations

from enum import StrEnum

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class Metric(StrEnum):
    """The EMF metrics the functions publish."""

    FILES_REQUESTED = "FilesRequested"
    FILES_UPLOADED = "FilesUploaded"
    BYTES_UPLOADED = "BytesUploaded"
    FILES_STORED = "FilesStored"
    FILES_DELETED = "FilesDeleted"
    FILES_EXPIRED = "FilesExpired"


def count(metric: Metric, value: int = 1) -> None:
    """Add ``value`` to a count metric (bytes for BytesUploaded); zero adds nothing."""
    if value:
        unit = MetricUnit.Bytes if metric is Metric.BYTES_UPLOADED else MetricUnit.Count
        metrics.add_metric(name=metric.value, unit=unit, value=value)
