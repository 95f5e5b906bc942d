"""The report's words for large uploads: the multipart figure and a 10 GiB upload's requests."""

from __future__ import annotations

from dataclasses import dataclass

from bench.cost_on_paper import LargeUpload
from bench.multipart_upload import MultipartUpload, Transfer
from bench.stats import median, ratio

MIB = 1024 * 1024


@dataclass(frozen=True)
class Words:
    """What render.py puts in the figure's section."""

    target: str
    measured: str
    how: str
    details: tuple[str, ...]


def _rate(figure: MultipartUpload, transfer: Transfer) -> float:
    return figure.file_bytes / MIB / median(transfer.seconds)


def _row(figure: MultipartUpload, transfer: Transfer) -> str:
    runs = ", ".join(f"{seconds:.2f}" for seconds in transfer.seconds)
    complete = "-"
    if transfer.complete_s and transfer.complete_growth_mib is not None:
        complete = f"{median(transfer.complete_s):.2f} s, +{transfer.complete_growth_mib:.0f} MiB"
    return (
        f"| {transfer.label} | {median(transfer.seconds):.2f} | {_rate(figure, transfer):.0f} | "
        f"{transfer.base_rss_mib:.0f} | {transfer.peak_rss_mib:.0f} | "
        f"+{transfer.peak_rss_mib - transfer.base_rss_mib:.0f} | {complete} | {runs} |"
    )


def multipart_words(figure: MultipartUpload) -> Words:
    mib = figure.file_bytes / MIB
    parts = -(-figure.file_bytes // figure.part_bytes)
    local_parts = _rate(figure, figure.local_multipart)
    local_single = _rate(figure, figure.local_single)
    moto_parts = _rate(figure, figure.moto_multipart)
    moto_single = _rate(figure, figure.moto_single)
    growth = figure.local_multipart.peak_rss_mib - figure.local_multipart.base_rss_mib
    complete_local = figure.local_multipart.complete_growth_mib or 0.0
    complete_moto = figure.moto_multipart.complete_growth_mib or 0.0
    return Words(
        target="(no target) MiB/s and the local stack's peak memory for a large file",
        measured=(
            f"{local_parts:.0f} MiB/s in {figure.parallel} parallel parts, "
            f"{ratio(local_parts, local_single):.2f}x one PUT ({local_single:.0f} MiB/s), "
            f"{ratio(local_parts, moto_parts):.2f}x plain moto's multipart; stack peak "
            f"+{growth:.0f} MiB over {figure.local_multipart.base_rss_mib:.0f} MiB, "
            f"CompleteMultipartUpload +{complete_local:.0f} MiB (moto's +{complete_moto:.0f} "
            f"MiB) ({mib:.0f} MiB file)"
        ),
        how=(
            f"The same {mib:.0f} MiB of random bytes sent four ways. Multipart: "
            "CreateMultipartUpload with `ChecksumAlgorithm=SHA256`, then "
            f"{parts} parts of {figure.part_bytes / MIB:.0f} MiB PUT with `requests` "
            f"{figure.parallel} at a time (as the page sends them) to presigned UploadPart "
            "URLs signing each part's Content-Length and SHA-256, then ListParts and "
            "CompleteMultipartUpload with every part's checksum and `If-None-Match: *` (as the "
            "API completes). One PUT: a presigned PutObject signing the length, type, "
            "`If-None-Match: *` and the whole file's SHA-256. Both go to a fresh local stack "
            "(data in memory, as `make test` runs it) and to a plain `python -m moto.server` "
            "(which checks neither signatures nor checksums). Part SHA-256s are computed "
            "before the clock starts. Memory is the server process's VmRSS sampled every "
            "10 ms (the local stack: its main process, where the S3 endpoint and moto's S3 "
            "run); 'base' is before the first timed run, after one warm-up upload; the "
            "CompleteMultipartUpload column is its median time and its highest RSS minus the "
            "RSS as it started (the worst run). Each object "
            f"is deleted (untimed) after its run; median of {len(figure.local_single.seconds)} "
            "runs each."
        ),
        details=(
            "| transfer | median s | MiB/s | base RSS MiB | peak RSS MiB | growth MiB | "
            "CompleteMultipartUpload (s, RSS growth) | runs (s) |",
            "|---|---|---|---|---|---|---|---|",
            _row(figure, figure.local_multipart),
            _row(figure, figure.local_single),
            _row(figure, figure.moto_multipart),
            _row(figure, figure.moto_single),
            "",
            f"Ratios: local multipart / local one PUT {ratio(local_parts, local_single):.2f}x; "
            f"local / moto multipart {ratio(local_parts, moto_parts):.2f}x; local / moto one "
            f"PUT {ratio(local_single, moto_single):.2f}x. The local endpoint streams every part "
            "through its checks into a spooled file, then copies it a MiB at a time into the "
            "part's buffer, and completes an upload by copying the parts the same way into the "
            "new object (moto's own UploadPart reads each part whole, and its "
            "CompleteMultipartUpload builds the whole object in memory, twice: see plain "
            "moto's completion growth). A single PUT is read whole (one buffer, "
            "filled from the socket) and handed uncopied to moto's PutObject, which copies it "
            "into its key: about three times the file's size at its peak, as plain moto.",
        ),
    )


def large_upload_lines(large: LargeUpload) -> tuple[str, ...]:
    """The cost on paper of one large multipart upload, request by request."""
    gib = large.size / 1024**3
    rows = [
        ("POST /file (API Gateway, CreateFileFunction)", 1, "CreateMultipartUpload 1"),
        (
            f"POST /file/{{id}}/parts, {large.parts_per_sign_request} part(s) signed per request "
            "(the page signs just in time; pessimistic)",
            large.sign_requests,
            "-",
        ),
        ("PUT of each part to S3 (browser, presigned)", 0, f"UploadPart {large.part_count}"),
        (
            "POST /file/{id}/complete (CompleteUploadFunction)",
            1,
            f"ListParts {large.list_pages}, CompleteMultipartUpload 1, HeadObject 1",
        ),
        ("s3:ObjectCreated:CompleteMultipartUpload (ObjectCreatedFunction)", 0, "HeadObject 1"),
    ]
    part_mib, configured_mib = large.part_size / MIB, large.configured_part_size / MIB
    lines = [
        f"A {gib:.0f} GiB file (multipart, above `MultipartThreshold`): parts of "
        f"{part_mib:.0f} MiB (`PartSize` {configured_mib:.0f} MiB, at most 10,000 parts), so "
        f"{large.part_count} parts:",
        "",
        "| step | API requests | S3 requests |",
        "|---|---|---|",
        *(f"| {label} | {api} | {s3} |" for label, api, s3 in rows),
        f"| **total** | **{large.api_requests}** (+1 Lambda invocation for the event) | "
        f"**{large.s3_put_class} PUT-class, {large.s3_get_class} GET-class** |",
        "",
        f"At the prices above that is ${large.cost:,.4f} of requests for the one file "
        f"(${large.api_cost:,.4f} API Gateway, ${large.s3_cost:,.4f} S3, "
        f"${large.lambda_request_cost:,.4f} Lambda requests; Lambda durations, DynamoDB units, "
        "storage and transfer left out). Signing the page's four in-flight parts per request "
        f"would take the sign requests to {-(-large.part_count // 4)}.",
    ]
    return tuple(lines)
