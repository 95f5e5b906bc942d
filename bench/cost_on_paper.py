"""Cost on paper: one million uploads on AWS, from the measured durations and AWS calls."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

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
S3_FREE = ("DeleteObject", "DeleteObjects")


@dataclass(frozen=True)
class Step:
    """One request or event in the life of a file, and how many of it one file causes."""

    label: str
    logical_id: str | None  # the function it runs, if any
    via_api: bool  # passes API Gateway
    per_file: float = 1.0  # 0.01: one request serves 100 files
    client_s3_puts: int = 0  # S3 requests made by the browser itself
    client_s3_gets: int = 0


UPLOAD_STEPS = (
    Step("GET /config (page load; one per upload is pessimistic)", "GetConfigFunction", True),
    Step("POST /file", "CreateFileFunction", True),
    Step("PUT of the bytes to S3 (browser, presigned)", None, False, client_s3_puts=1),
    Step("s3:ObjectCreated event", "ObjectCreatedFunction", False),
    Step("PUT /files, one id per request (pessimistic)", "StoreFilesFunction", True),
)
READ_BACK_STEPS = (
    Step("POST /files, 100 ids per request", "DescribeFilesFunction", True, per_file=0.01),
    Step("GET of the file from S3 (presigned download)", None, False, client_s3_gets=1),
)


@dataclass
class Totals:
    """Billable quantities per file."""

    api_requests: float = 0.0
    lambda_requests: float = 0.0
    gb_seconds: float = 0.0
    gb_seconds_pessimistic: float = 0.0
    write_units: float = 0.0
    read_units: float = 0.0
    s3_put: float = 0.0
    s3_get: float = 0.0
    s3_delete: float = 0.0
    rows: list[str] = field(default_factory=list)

    def price_lines(self, memory_mb: int) -> list[tuple[str, float, float]]:
        return [
            ("API Gateway REST requests", self.api_requests, API_REST_PER_MILLION / 1e6),
            ("Lambda requests", self.lambda_requests, LAMBDA_REQUEST_PER_MILLION / 1e6),
            (f"Lambda GB-seconds (arm64, {memory_mb} MB)", self.gb_seconds, LAMBDA_ARM_GB_SECOND),
            ("DynamoDB write request units", self.write_units, DYNAMODB_WRU_PER_MILLION / 1e6),
            ("DynamoDB read request units", self.read_units, DYNAMODB_RRU_PER_MILLION / 1e6),
            ("S3 PUT-class requests", self.s3_put, S3_PUT_PER_THOUSAND / 1e3),
            ("S3 GET/HEAD-class requests", self.s3_get, S3_GET_PER_THOUSAND / 1e3),
            ("S3 DELETE requests (free)", self.s3_delete, 0.0),
        ]

    def cost(self, memory_mb: int) -> float:
        return sum(n * UPLOADS * price for _, n, price in self.price_lines(memory_mb))

    def pessimistic_cost(self, memory_mb: int) -> float:
        extra = (self.gb_seconds_pessimistic - self.gb_seconds) * UPLOADS * LAMBDA_ARM_GB_SECOND
        return self.cost(memory_mb) + extra


def _gb_seconds(ms: float, memory_mb: int) -> float:
    return math.ceil(ms) / 1000 * memory_mb / 1024  # Lambda bills whole milliseconds


def _calls_text(profile: HandlerProfile, service: str) -> str:
    return ", ".join(
        f"{key.split('.', 1)[1]} {profile.per_invocation(float(n)):g}"
        for key, n in sorted(profile.calls.calls.items())
        if key.startswith(f"{service}.")
    )


def _add(totals: Totals, step: Step, profile: HandlerProfile | None, memory_mb: int) -> None:
    share = step.per_file
    totals.api_requests += share if step.via_api else 0.0
    totals.s3_put += step.client_s3_puts
    totals.s3_get += step.client_s3_gets
    if profile is None:
        client = "PutObject 1" if step.client_s3_puts else "GetObject 1"
        totals.rows.append(f"| {step.label} | - | {share:g} | - | - | - | {client} |")
        return
    calls, per = profile.calls, profile.per_invocation
    aws_calls = per(float(sum(calls.calls.values())))
    totals.lambda_requests += share
    totals.gb_seconds += share * _gb_seconds(profile.median_ms, memory_mb)
    totals.gb_seconds_pessimistic += share * _gb_seconds(
        profile.median_ms + ASSUMED_AWS_CALL_MS * aws_calls, memory_mb
    )
    totals.write_units += share * per(calls.write_units)
    totals.read_units += share * per(calls.read_units)
    puts = per(float(sum(calls.count("s3", op) for op in S3_PUT_CLASS)))
    deletes = per(float(sum(calls.count("s3", op) for op in S3_FREE)))
    totals.s3_put += share * puts
    totals.s3_delete += share * deletes
    totals.s3_get += share * (per(float(calls.count("s3"))) - puts - deletes)
    totals.rows.append(
        f"| {step.label} | {profile.logical_id} | {share:g} | {profile.median_ms:.1f} | "
        f"{_calls_text(profile, 'dynamodb') or '-'} | "
        f"{per(calls.write_units):g} / {per(calls.read_units):g} | "
        f"{_calls_text(profile, 's3') or '-'} |"
    )


def _totals(steps: Sequence[Step], session: Session, memory_mb: int) -> Totals:
    missing = [
        s.logical_id for s in steps if s.logical_id and s.logical_id not in session.state.profiles
    ]
    if missing:
        raise RuntimeError(f"no in-process measurement of {', '.join(missing)}")
    totals = Totals()
    for step in steps:
        profile = session.state.profiles[step.logical_id] if step.logical_id else None
        _add(totals, step, profile, memory_mb)
    return totals


def _price_table(totals: Totals, memory_mb: int) -> list[str]:
    return [
        "| item | per file | per million files | unit price | cost |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {n:.4g} | {n * UPLOADS:,.0f} | ${price:.10f}".rstrip("0").rstrip(".")
            + f" | ${n * UPLOADS * price:,.2f} |"
            for name, n, price in totals.price_lines(memory_mb)
        ),
        f"| **total** | | | | **${totals.cost(memory_mb):,.2f}** |",
    ]


STEP_HEADER = [
    "| step | function | per file | median ms | DynamoDB calls | WRU / RRU | S3 calls |",
    "|---|---|---|---|---|---|---|",
]


def measure(session: Session) -> FigureResult:
    """Price one million uploads (and reading them back once) from the in-process profiles."""
    memory_mb = memory_size_mb()
    upload = _totals(UPLOAD_STEPS, session, memory_mb)
    read_back = _totals(READ_BACK_STEPS, session, memory_mb)
    total, pessimistic = upload.cost(memory_mb), upload.pessimistic_cost(memory_mb)
    api_share = upload.api_requests * UPLOADS * API_REST_PER_MILLION / 1e6 / total
    result = FigureResult(
        title="Cost on paper",
        target="(no target) AWS cost of one million uploads",
        measured=f"${total:,.2f} per million uploads (${pessimistic:,.2f} with "
        f"{ASSUMED_AWS_CALL_MS:.0f} ms per AWS call); reading each back once "
        f"+${read_back.cost(memory_mb):,.2f}",
        how=(
            "One upload in temporary mode (the default) is the steps below. Lambda durations are "
            "the medians measured in-process on this machine against in-process moto (see "
            "Handler durations; Lambda bills per 1 ms; cold starts left out); DynamoDB and S3 "
            "requests are the calls counted with botocore hooks on the same runs. DynamoDB units "
            "assume items under 1 KB (writes) and 4 KB (reads), eventually consistent reads at "
            "half a unit, and count one extra write unit when a write touches `ExpiryIndex` (it "
            "names `expiry_shard`, `expire_at` or `deleted_at`). Left out: storage (GB-months), "
            "data transfer, CloudWatch logs and metrics, X-Ray traces, free tiers, and the "
            "expiry schedule (a fixed few cents a month). Prices: us-east-1 list prices as of "
            f"{PRICES_AS_OF}, check before relying on them."
        ),
    )
    result.details = [
        *STEP_HEADER,
        *upload.rows,
        "",
        *_price_table(upload, memory_mb),
        "",
        f"Lambda durations on AWS will be longer than here (real network calls, a fraction of a "
        f"vCPU at {memory_mb} MB): with {ASSUMED_AWS_CALL_MS:.0f} ms added per AWS call the "
        f"Lambda GB-seconds become {upload.gb_seconds_pessimistic * UPLOADS:,.0f} and the total "
        f"${pessimistic:,.2f}. API Gateway requests are {api_share:.0%} of the bill; storing "
        "100 ids per `PUT /files` request instead of one takes that step's API Gateway and "
        "Lambda request charges down a hundredfold.",
        "",
        "Reading each file back once (a backend describing its files 100 ids at a time, then "
        "one download each):",
        "",
        *STEP_HEADER,
        *read_back.rows,
        "",
        *_price_table(read_back, memory_mb),
    ]
    return result
