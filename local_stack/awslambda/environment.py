"""What a function's workers run with: the template's variables plus what Lambda's runtime sets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from local_stack.account import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY
from local_stack.cloudformation.models import FunctionModel

_PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")


@dataclass(frozen=True)
class LocalEndpoints:
    """Where the functions' AWS SDK calls go and which (public, local-only) credentials sign."""

    s3_url: str
    dynamodb_url: str
    access_key_id: str = ACCESS_KEY_ID
    secret_access_key: str = SECRET_ACCESS_KEY
    region: str = REGION


def function_environment(
    function: FunctionModel,
    endpoints: LocalEndpoints,
    code_dir: Path,
    parent: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The environment a worker runs with: the template's variables plus what Lambda sets."""
    return {
        **_inherited(parent),
        **function.environment,
        **_sdk_environment(endpoints),
        "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": function.log_group,
        "_HANDLER": function.handler,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "PYTHONPATH": str(code_dir),
        **_INTERPRETER,
        # No X-Ray daemon runs locally: the Powertools Tracer is switched off.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def zygote_environment(
    endpoints: LocalEndpoints, parent: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What a runtime's zygote runs with: what every function's environment has alike (the
    interpreter's settings, the SDK's endpoints, keys and region), nothing of any function."""
    return {**_inherited(parent), **_sdk_environment(endpoints), **_INTERPRETER}


_INTERPRETER = {"PYTHONUNBUFFERED": "1", "TZ": "UTC"}


def _inherited(parent: Mapping[str, str] | None) -> dict[str, str]:
    return {key: value for key, value in (parent or {}).items() if key in _PASSED_THROUGH}


def _sdk_environment(endpoints: LocalEndpoints) -> dict[str, str]:
    """Set for every function after its template variables, so the same for all of them."""
    return {
        "AWS_ENDPOINT_URL_S3": endpoints.s3_url,
        "AWS_ENDPOINT_URL_DYNAMODB": endpoints.dynamodb_url,
        "AWS_ACCESS_KEY_ID": endpoints.access_key_id,
        "AWS_SECRET_ACCESS_KEY": endpoints.secret_access_key,
        "AWS_DEFAULT_REGION": endpoints.region,
        "AWS_REGION": endpoints.region,
        # Never read the developer's ~/.aws files: no real credential can leak into a function.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
