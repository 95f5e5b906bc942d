"""The JSON the functions answer with, built in this one place from the service's results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from filestore.models import format_timestamp

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from filestore.errors import FilestoreError
    from filestore.models import FileId, FileRecord
    from filestore.results import (
        BatchResult,
        ClientConfig,
        CompletedUpload,
        DescribedFile,
        ExpiryTally,
        HeldParts,
        PartUpload,
        Upload,
        UploadEventOutcome,
    )


def error_view(error: FilestoreError) -> dict[str, str]:
    """Every refusal: ``{"message": ..., "code": ...}`` (the Error model of api/swagger.yaml)."""
    return {"message": error.message, "code": error.code}


def config_view(config: ClientConfig) -> dict[str, Any]:
    """GET /config (the Config model)."""
    return {
        "max_file_size": config.max_file_size,
        "allowed_types": list(config.allowed_types),
        "store_on_upload": config.store_on_upload,
        "url_expiration": config.url_expiration,
        "max_name_length": config.max_name_length,
        "max_batch_size": config.max_batch_size,
        "multipart_threshold": config.multipart_threshold,
        "part_size": config.part_size,
    }


def upload_view(upload: Upload) -> dict[str, Any]:
    """POST /file (the Upload model): a presigned PUT, or the plan of a multipart upload."""
    body: dict[str, Any] = {"id": upload.file_id, "upload": upload.kind.value}
    if upload.request is not None:
        body.update(
            url=upload.request.url,
            method=upload.request.method,
            headers=dict(upload.request.headers),
        )
    if upload.plan is not None:
        body.update(part_size=upload.plan.part_size, part_count=upload.plan.part_count)
    body.update(expires_at=format_timestamp(upload.expires_at), revert_token=upload.revert_token)
    return body


def part_uploads_view(parts: Iterable[PartUpload]) -> dict[str, Any]:
    """POST /file/{id}/parts (the PartUploads model)."""
    return {
        "parts": [
            {
                "number": part.number,
                "url": part.request.url,
                "method": part.request.method,
                "headers": dict(part.request.headers),
            }
            for part in parts
        ]
    }


def held_parts_view(held: HeldParts) -> dict[str, Any]:
    """GET /file/{id}/parts (the HeldParts model)."""
    return {
        "parts": [
            {"number": part.number, "size": part.size, "checksum_sha256": part.checksum_sha256}
            for part in held.parts
        ]
    }


def completed_view(completed: CompletedUpload) -> dict[str, str | None]:
    """POST /file/{id}/complete (the CompletedUpload model)."""
    return {
        "id": completed.file_id,
        "status": completed.status.value,
        "rejected": completed.rejected,
    }


def file_ref_view(file_id: FileId) -> dict[str, str]:
    """DELETE /file/{id} (the FileRef model)."""
    return {"id": file_id}


def file_status_view(record: FileRecord) -> dict[str, str | None]:
    """GET /file/{id} (the FileStatus model): what the uploader may know of its own file."""
    return {"id": record.id, "status": record.status.value, "rejected": record.rejected}


def batch_view(result: BatchResult) -> dict[str, Any]:
    """PUT and DELETE /files (the BatchResult model)."""
    problems = {file_id: problem.value for file_id, problem in result.problems.items()}
    return {"result": list(result.done), "problems": problems}


def file_views(files: Iterable[DescribedFile]) -> list[dict[str, Any]]:
    """POST /files (the FileInfoList model): ``null`` for what has not happened."""
    return [_file_view(described) for described in files]


def upload_events_view(outcomes: Iterable[UploadEventOutcome]) -> dict[str, list[str]]:
    """The ObjectCreatedFunction's result: one outcome per event record."""
    return {"outcomes": [outcome.value for outcome in outcomes]}


def expiry_view(tally: ExpiryTally) -> dict[str, int]:
    """The ExpireFilesFunction's result."""
    return tally._asdict()


def _file_view(described: DescribedFile) -> dict[str, Any]:
    record = described.record
    return {
        "id": record.id,
        "name": record.name,
        "type": record.type,
        "size": record.size,
        "status": record.status.value,
        "created_at": format_timestamp(record.created_at),
        "uploaded_at": _timestamp_or_none(record.uploaded_at),
        "stored_at": _timestamp_or_none(record.stored_at),
        "deleted_at": _timestamp_or_none(record.deleted_at),
        "expired": record.expired,
        "rejected": record.rejected,
        "url": described.download_url,
        "checksum_sha256": record.checksum_sha256,
        "upload": record.upload_kind.value,
    }


def _timestamp_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)
