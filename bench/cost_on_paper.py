"""Cost on paper: one million uploads on AWS, from the measured durations and AWS calls."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bench.batch_info import BatchInfo
from bench.handler_durations import HandlerDurations, HandlerProfile
from bench.settings import SOURCE_DIR, stack_model
from local_stack.cloudformation.cfn_yaml import load_cfn_yaml
from local_stack.testing.launcher import TEMPLATE_PATH

UPLOADS = 1_000_000
PRICES_AS_OF = "2025-06"
# us-east-1 list prices (first tier), as the AWS pricing pages gave them on PRICES_AS_OF.
API_REST_PER_MILLION = 3.50  # API Gateway REST API requests (first 333 million a month)
LAMBDA_REQUEST_PER_MILLION = 0.20
LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}  # first tier; per 1 ms
LAMBDA_DEFAULT_ARCHITECTURE = "x86_64"
DYNAMODB_WRU_PER_MILLION = 0.625  # on-demand write request units
DYNAMODB_RRU_PER_MILLION = 0.125  # on-demand read request units
S3_PUT_PER_THOUSAND = 0.005  # PUT, COPY, POST, LIST (S3 Standard)
S3_GET_PER_THOUSAND = 0.0004  # GET, HEAD and other requests (S3 Standard)
ASSUMED_AWS_CALL_MS = 10.0  # pessimistic column: a real network round-trip per AWS call
S3_PUT_CLASS = ("PutObject", "CopyObject", "CreateMultipartUpload", "UploadPart", "ListObjects")
S3_FREE = ("DeleteObject", "DeleteObjects")
LARGE_UPLOAD_BYTES = 10 * 1024**3
LIST_PARTS_PAGE = 1000  # S3 returns at most 1,000 parts per ListParts page


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


@dataclass(frozen=True)
class PriceLine:
    """One billed item: how many of it per file and what one costs."""

    item: str
    per_file: float
    unit_price: float

    @property
    def cost(self) -> float:
        return self.per_file * UPLOADS * self.unit_price


@dataclass
class Bill:
    """Billable quantities per file of some steps of a file's life."""

    # Each step with the profile of the function it runs (None: no function runs).
    steps: list[tuple[Step, HandlerProfile | None]] = field(default_factory=list)
    api_requests: float = 0.0
    lambda_requests: float = 0.0
    gb_seconds: float = 0.0
    gb_seconds_pessimistic: float = 0.0  # with ASSUMED_AWS_CALL_MS per AWS call
    write_units: float = 0.0
    read_units: float = 0.0
    s3_put: float = 0.0
    s3_get: float = 0.0
    s3_delete: float = 0.0

    def add(self, step: Step, profile: HandlerProfile | None, memory_mb: int) -> None:
        share = step.per_file
        self.steps.append((step, profile))
        self.api_requests += share if step.via_api else 0.0
        self.s3_put += step.client_s3_puts
        self.s3_get += step.client_s3_gets
        if profile is None:
            return
        calls, per = profile.calls, profile.per_invocation
        self.lambda_requests += share
        self.gb_seconds += share * _gb_seconds(profile.median_ms, memory_mb)
        aws_call_ms = ASSUMED_AWS_CALL_MS * per(float(sum(calls.calls.values())))
        self.gb_seconds_pessimistic += share * _gb_seconds(
            profile.median_ms + aws_call_ms, memory_mb
        )
        self.write_units += share * per(calls.write_units)
        self.read_units += share * per(calls.read_units)
        puts = per(float(sum(calls.count("s3", op) for op in S3_PUT_CLASS)))
        deletes = per(float(sum(calls.count("s3", op) for op in S3_FREE)))
        self.s3_put += share * puts
        self.s3_delete += share * deletes
        self.s3_get += share * (per(float(calls.count("s3"))) - puts - deletes)


def _gb_seconds(ms: float, memory_mb: int) -> float:
    return math.ceil(ms) / 1000 * memory_mb / 1024  # Lambda bills whole milliseconds


@dataclass(frozen=True)
class LargeUpload:
    """The requests one large multipart upload makes, as the API plans its parts."""

    size: int
    configured_part_size: int  # template.yaml's PartSize
    part_size: int  # as planned for this size
    part_count: int
    parts_per_sign_request: int = 1  # pessimistic: the page signs each part just before sending

    @property
    def sign_requests(self) -> int:
        return -(-self.part_count // self.parts_per_sign_request)

    @property
    def list_pages(self) -> int:
        return -(-self.part_count // LIST_PARTS_PAGE)

    @property
    def api_requests(self) -> int:
        return 1 + self.sign_requests + 1  # POST /file, the signing, POST /file/{id}/complete

    @property
    def s3_put_class(self) -> int:  # Create, every UploadPart, ListParts pages, Complete
        return 1 + self.part_count + self.list_pages + 1

    @property
    def s3_get_class(self) -> int:
        return 2  # HeadObject after the completion, and the event handler's

    @property
    def api_cost(self) -> float:
        return self.api_requests * API_REST_PER_MILLION / 1e6

    @property
    def lambda_request_cost(self) -> float:
        return (self.api_requests + 1) * LAMBDA_REQUEST_PER_MILLION / 1e6

    @property
    def s3_cost(self) -> float:
        puts = self.s3_put_class * S3_PUT_PER_THOUSAND / 1e3
        return puts + self.s3_get_class * S3_GET_PER_THOUSAND / 1e3

    @property
    def cost(self) -> float:
        return self.api_cost + self.lambda_request_cost + self.s3_cost


def large_upload(size: int = LARGE_UPLOAD_BYTES) -> LargeUpload:
    """A ``size``-byte upload planned as the API plans it (filestore/parts.py) from the template."""
    if str(SOURCE_DIR) not in sys.path:
        sys.path.insert(0, str(SOURCE_DIR))
    from filestore.parts import plan_parts

    configured = int(stack_model().parameters["PartSize"])
    plan = plan_parts(size, configured)
    return LargeUpload(size, configured, plan.part_size, plan.part_count)


@dataclass(frozen=True)
class CostOnPaper:
    """What one million uploads, and reading them back once, would cost on AWS."""

    memory_mb: int
    architecture: str
    upload: Bill
    read_back: Bill
    large: LargeUpload

    def price_lines(self, bill: Bill, pessimistic: bool = False) -> list[PriceLine]:
        gb_seconds = bill.gb_seconds_pessimistic if pessimistic else bill.gb_seconds
        lambda_item = f"Lambda GB-seconds ({self.architecture}, {self.memory_mb} MB)"
        return [
            PriceLine("API Gateway REST requests", bill.api_requests, API_REST_PER_MILLION / 1e6),
            PriceLine("Lambda requests", bill.lambda_requests, LAMBDA_REQUEST_PER_MILLION / 1e6),
            PriceLine(lambda_item, gb_seconds, LAMBDA_GB_SECOND[self.architecture]),
            PriceLine(
                "DynamoDB write request units", bill.write_units, DYNAMODB_WRU_PER_MILLION / 1e6
            ),
            PriceLine(
                "DynamoDB read request units", bill.read_units, DYNAMODB_RRU_PER_MILLION / 1e6
            ),
            PriceLine("S3 PUT-class requests", bill.s3_put, S3_PUT_PER_THOUSAND / 1e3),
            PriceLine("S3 GET/HEAD-class requests", bill.s3_get, S3_GET_PER_THOUSAND / 1e3),
            PriceLine("S3 DELETE requests (free)", bill.s3_delete, 0.0),
        ]

    def cost(self, bill: Bill, pessimistic: bool = False) -> float:
        return sum(line.cost for line in self.price_lines(bill, pessimistic))


def lambda_architecture() -> str:
    """The functions' architecture from template.yaml's Globals (else Lambda's default)."""
    function = (load_cfn_yaml(TEMPLATE_PATH).get("Globals") or {}).get("Function") or {}
    architectures = function.get("Architectures") or [LAMBDA_DEFAULT_ARCHITECTURE]
    return str(architectures[0])


def _bill(steps: Sequence[Step], profiles: Mapping[str, HandlerProfile], memory_mb: int) -> Bill:
    bill = Bill()
    for step in steps:
        bill.add(step, profiles[step.logical_id] if step.logical_id else None, memory_mb)
    return bill


def measure(flow: HandlerDurations, batch: BatchInfo) -> CostOnPaper:
    """Price one million uploads (and reading them back once) from the in-process profiles."""
    sizes = {function.memory_size for function in stack_model().functions.values()}
    if len(sizes) != 1:
        raise RuntimeError(f"the functions' MemorySize differ ({sorted(sizes)}): price each")
    memory_mb = sizes.pop()
    profiles = {**flow.profiles, batch.profile.logical_id: batch.profile}
    return CostOnPaper(
        memory_mb=memory_mb,
        architecture=lambda_architecture(),
        upload=_bill(UPLOAD_STEPS, profiles, memory_mb),
        read_back=_bill(READ_BACK_STEPS, profiles, memory_mb),
        large=large_upload(),
    )
