"""Cost on paper: one million uploads on AWS, from the measured durations and AWS calls."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.lambda_env import memory_size_mb
from bench.results import FigureResult, HandlerProfile
from bench.session import Session

UPLOADS = 1_000_000
PRICES_AS_OF = "2025-06"
# us-east-1 list prices (first tier), as the AWS pricing pages gave them on PRICES_AS_OF.
API_REST_PER_MILLION = 3.50  # API Gateway REST API requests (first 333 million a month)
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_ARM_GB_SECOND = 0.0000133334  # arm64, first 7.5 billion GB-s a month; billed per 1 ms
DYNAMODB_WRU_PER_MILLION = 0.625  # on-demand write request units
DYNAMODB_RRU_PER_MILLION = 0.125  # on-demand read request units
S3_PUT_PER_THOUSAND = 0.005  # PUT, COPY, POST, LIST (S3 Standard)
S3_GET_PER_THOUSAND = 0.0004  # GET, HEAD and other requests (S3 Standard)
ASSUMED_AWS_CALL_MS = 10.0  # pessimistic column: a real network round-trip per AWS call
S3_PUT_CLASS = ("PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "ListObjects")


@dataclass(frozen=True)
class Step:
    """One request or event in the life of an upload."""

    label: str
    logical_id: str | None  # the function it runs, if any
    via_api: bool  # passes API Gateway
    client_s3_puts: int = 0  # S3 requests made by the browser itself


UPLOAD_STEPS = (
    Step("GET /config (page load, one per upload: pessimistic)", "GetConfigFunction", True),
    Step("POST /file", "CreateFileFunction", True),
    Step("PUT of the bytes to S3 (browser, presigned)", None, False, client_s3_puts=1),
    Step("s3:ObjectCreated event", "ObjectCreatedFunction", False),
    Step("PUT /files, one id per request (pessimistic; up to 100)", "StoreFilesFunction", True),
)


@dataclass
class Totals:
    api_requests: float = 0.0
    lambda_requests: float = 0.0
    gb_seconds: float = 0.0
    gb_seconds_pessimistic: float = 0.0
    write_units: float = 0.0
    read_units: float = 0.0
    s3_put: float = 0.0
    s3_get: float = 0.0
    s3_delete: float = 0.0


def _gb_seconds(ms: float, memory_mb: int) -> float:
    return math.ceil(ms) / 1000 * memory_mb / 1024


def _add_function(totals: Totals, profile: HandlerProfile, memory_mb: int) -> list[str]:
    calls = profile.calls
    per = profile.per_invocation
    aws_calls = per(float(sum(calls.calls.values())))
    totals.lambda_requests += 1
    totals.gb_seconds += _gb_seconds(profile.median_ms, memory_mb)
    totals.gb_seconds_pessimistic += _gb_seconds(
        profile.median_ms + ASSUMED_AWS_CALL_MS * aws_calls, memory_mb
    )
    totals.write_units += per(calls.write_units)
    totals.read_units += per(calls.read_units)
    puts = per(float(sum(calls.count("s3", op) for op in S3_PUT_CLASS)))
    deletes = per(float(calls.count("s3", "DeleteObject") + calls.count("s3", "DeleteObjects")))
    gets = per(float(calls.count("s3"))) - puts - deletes
    totals.s3_put += puts
    totals.s3_get += gets
    totals.s3_delete += deletes
    dynamodb = ", ".join(
        f"{key.split('.', 1)[1]} {per(float(n)):g}"
        for key, n in sorted(calls.calls.items())
        if key.startswith("dynamodb.")
    )
    s3 = ", ".join(
        f"{key.split('.', 1)[1]} {per(float(n)):g}"
        for key, n in sorted(calls.calls.items())
        if key.startswith("s3.")
    )
    return [
        f"{profile.median_ms:.1f}",
        dynamodb or "-",
        f"{per(calls.write_units):g} / {per(calls.read_units):g}",
        s3 or "-",
    ]


def measure(session: Session) -> FigureResult:
    """Price one million uploads from the in-process profiles of each function."""
    missing = [
        s.logical_id
        for s in UPLOAD_STEPS
        if s.logical_id and s.logical_id not in session.state.profiles
    ]
    if missing:
        raise RuntimeError(f"no in-process measurement of {', '.join(missing)}")
    memory_mb = memory_size_mb()
    totals = Totals()
    step_rows = []
    for step in UPLOAD_STEPS:
        totals.api_requests += 1 if step.via_api else 0
        totals.s3_put += step.client_s3_puts
        cells = ["-", "-", "-", "PutObject 1" if step.client_s3_puts else "-"]
        if step.logical_id:
            cells = _add_function(totals, session.state.profiles[step.logical_id], memory_mb)
        step_rows.append(f"| {step.label} | {step.logical_id or '-'} | " + " | ".join(cells) + " |")
    lines = [
        ("API Gateway REST requests", totals.api_requests, API_REST_PER_MILLION / 1e6),
        ("Lambda requests", totals.lambda_requests, LAMBDA_REQUEST_PER_MILLION / 1e6),
        (f"Lambda GB-seconds (arm64, {memory_mb} MB)", totals.gb_seconds, LAMBDA_ARM_GB_SECOND),
        ("DynamoDB write request units", totals.write_units, DYNAMODB_WRU_PER_MILLION / 1e6),
        ("DynamoDB read request units", totals.read_units, DYNAMODB_RRU_PER_MILLION / 1e6),
        ("S3 PUT-class requests", totals.s3_put, S3_PUT_PER_THOUSAND / 1e3),
        ("S3 GET/HEAD-class requests", totals.s3_get, S3_GET_PER_THOUSAND / 1e3),
        ("S3 DELETE requests", totals.s3_delete, 0.0),
    ]
    total = sum(per_upload * UPLOADS * price for _, per_upload, price in lines)
    pessimistic = total + (totals.gb_seconds_pessimistic - totals.gb_seconds) * UPLOADS * (
        LAMBDA_ARM_GB_SECOND
    )
    result = FigureResult(
        title="Cost on paper",
        target="(no target) AWS cost of one million uploads",
        measured=f"${total:,.2f} per million uploads (${pessimistic:,.2f} with "
        f"{ASSUMED_AWS_CALL_MS:.0f} ms per AWS call)",
        how=(
            "One upload in temporary mode (the default) is the steps below. Lambda durations are "
            "the medians measured in-process on this machine against in-process moto (Lambda bills "
            "per 1 ms; cold starts left out); DynamoDB and S3 requests are the calls counted with "
            "botocore hooks on the same runs. DynamoDB units assume items under 1 KB (writes) and "
            "4 KB (reads), eventually consistent reads at half a unit, and count one extra write "
            "unit when a write touches `ExpiryIndex` (it names `expiry_shard`, `expire_at` or "
            "`deleted_at`). Left out: storage (GB-months), data transfer, CloudWatch logs, free "
            f"tiers, and the expiry schedule (fixed, a few cents a month). Prices: us-east-1 list "
            f"prices as of {PRICES_AS_OF}, check before relying on them."
        ),
    )
    result.details = [
        "| step | function | median ms | DynamoDB calls | WRU / RRU | S3 calls |",
        "|---|---|---|---|---|---|",
        *step_rows,
        "",
        "| item | per upload | per million uploads | unit price | cost |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {per_upload:g} | {per_upload * UPLOADS:,.0f} | ${price:.10f}".rstrip("0")
            + f" | ${per_upload * UPLOADS * price:,.2f} |"
            for name, per_upload, price in lines
        ),
        f"| **total** | | | | **${total:,.2f}** |",
        "",
        f"Lambda durations on AWS will be longer than here (real network calls, a fraction of a "
        f"vCPU at {memory_mb} MB): with {ASSUMED_AWS_CALL_MS:.0f} ms added per AWS call the "
        f"Lambda GB-seconds become {totals.gb_seconds_pessimistic * UPLOADS:,.0f} and the total "
        f"${pessimistic:,.2f}. Storing 100 ids per `PUT /files` request instead of one cuts "
        f"that step's API Gateway and Lambda request charges a hundredfold.",
    ]
    return result
