"""What docs/ARCHITECTURE.md promises about functions and their environment, written once."""

from __future__ import annotations

# Logical id → handler, as the contract's "Functions" table lists them.
ARCHITECTURE_HANDLERS: dict[str, str] = {
    "GetConfigFunction": "handlers.get_config.handler",
    "CreateFileFunction": "handlers.create_file.handler",
    "RevertFileFunction": "handlers.revert_file.handler",
    "SignPartsFunction": "handlers.sign_parts.handler",
    "ListPartsFunction": "handlers.list_parts.handler",
    "CompleteUploadFunction": "handlers.complete_upload.handler",
    "StoreFilesFunction": "handlers.store_files.handler",
    "DescribeFilesFunction": "handlers.describe_files.handler",
    "DeleteFilesFunction": "handlers.delete_files.handler",
    "ObjectCreatedFunction": "handlers.object_created.handler",
    "ExpireFilesFunction": "handlers.expire_files.handler",
}

# The variables `runtime_context.Settings` reads (each one required).
SETTINGS_VARIABLES: tuple[str, ...] = (
    "TABLE_NAME",
    "BUCKET_NAME",
    "STORE_ON_UPLOAD",
    "SIGNED_URL_EXPIRATION",
    "MAX_FILE_SIZE",
    "ALLOWED_TYPES",
    "ALLOWED_ORIGIN",
    "UPLOAD_TIMEOUT",
    "MULTIPART_THRESHOLD",
    "PART_SIZE",
)

# Every variable of the template's `Globals` environment.
GLOBAL_ENVIRONMENT: frozenset[str] = frozenset(
    {*SETTINGS_VARIABLES, "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
)
