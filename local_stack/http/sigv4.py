"""SigV4 checks of received requests for the S3 and Lambda endpoints, with botocore's own signer."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.auth import SIGV4_TIMESTAMP, S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINAL = "aws4_request"


@dataclass(frozen=True)
class SignedParts:
    """What a request says it was signed with: the credential scope, headers and signature."""

    access_key: str
    date: str  # yyyymmdd from the credential scope
    region: str
    service: str
    terminal: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # the request's X-Amz-Date (SIGV4_TIMESTAMP format)


@dataclass(frozen=True)
class SignatureCheck:
    """The signature botocore computes for the received request, and what it signed."""

    expected: str
    canonical_request: str
    string_to_sign: str

    def matches(self, signature: str) -> bool:
        return hmac.compare_digest(self.expected.encode(), signature.encode())


class _ReceivedHeaders:
    """Feeds botocore's signer the received request: only the headers the client listed in
    SignedHeaders are canonicalized (a missing one counts as empty, so removing a signed header
    breaks the signature), and the payload hash is the one given (declared or computed)."""

    _signed_header_names: Sequence[str]
    _declared_payload: str

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        header_map = HTTPHeaders()
        for name in self._signed_header_names:
            header_map[name] = request.headers.get(name, "")
        return header_map

    def payload(self, request: AWSRequest) -> str:
        return self._declared_payload


class _S3ReceivedSigner(_ReceivedHeaders, S3SigV4Auth):
    # AWS parity: S3's canonical URI is the path as sent (no dot-segment folding, no double
    # encoding), which is what botocore's S3 signer does.
    def __init__(
        self, credentials: Credentials, region: str, signed_headers: Sequence[str], payload: str
    ) -> None:
        S3SigV4Auth.__init__(self, credentials, "s3", region)
        self._signed_header_names = signed_headers
        self._declared_payload = payload


class _ServiceReceivedSigner(_ReceivedHeaders, SigV4Auth):
    # AWS parity: every other service normalizes the path and URI-encodes it once more.
    def __init__(
        self,
        credentials: Credentials,
        service: str,
        region: str,
        signed_headers: Sequence[str],
        payload: str,
    ) -> None:
        SigV4Auth.__init__(self, credentials, service, region)
        self._signed_header_names = signed_headers
        self._declared_payload = payload


class KeyedAuthenticator:
    """What a service's SigV4 check knows: the accepted keys, its region and its clock."""

    def __init__(
        self, credentials: Mapping[str, str], region: str, clock: Callable[[], datetime]
    ) -> None:
        self._credentials = dict(credentials)
        self._region = region
        self._clock = clock


def parse_timestamp(value: str) -> datetime | None:
    """An ``X-Amz-Date`` value (``yyyymmddThhmmssZ``) as a UTC datetime, or None if malformed."""
    try:
        return datetime.strptime(value, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def iso(moment: datetime) -> str:
    """``moment`` as the ISO 8601 text AWS error messages use."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def skewed(signed_at: datetime, now: datetime, limit: timedelta) -> bool:
    """Whether the request time lies more than ``limit`` away from the server's clock."""
    return abs(now - signed_at) > limit


def authorization_fields(authorization: str) -> tuple[str, dict[str, str]]:
    """Split ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    scheme, _, rest = authorization.strip().partition(" ")
    fields: dict[str, str] = {}
    for component in rest.split(","):
        name, sep, value = component.strip().partition("=")
        if sep:
            fields[name] = value
    return scheme, fields


def split_signed_headers(signed_headers: str) -> tuple[str, ...]:
    """``host;x-amz-date`` as lower-case names."""
    return tuple(name.strip().lower() for name in signed_headers.split(";") if name.strip())


def credential_scope(credential: str) -> tuple[str, str, str, str, str] | None:
    """``AKID/yyyymmdd/region/service/aws4_request`` as its five parts, None if not five."""
    scope = credential.split("/")
    if len(scope) != 5:
        return None
    access_key, date, region, service, terminal = scope
    return access_key, date, region, service, terminal


def compute_signature(
    *,
    method: str,
    host: str,
    path: str,
    query: Sequence[tuple[str, str]],
    headers: dict[str, str],
    parts: SignedParts,
    secret_key: str,
    payload_hash: str,
) -> SignatureCheck:
    """Recompute the signature with botocore's signer for the scope's service.

    ``path`` is the URI-encoded path as received; ``query`` the decoded pairs (a list keeps
    repeated names, as SigV4 requires); ``headers`` lower-case names to values.
    """
    credentials = Credentials(parts.access_key, secret_key)
    signer: _S3ReceivedSigner | _ServiceReceivedSigner
    if parts.service == "s3":
        signer = _S3ReceivedSigner(credentials, parts.region, parts.signed_headers, payload_hash)
    else:
        signer = _ServiceReceivedSigner(
            credentials, parts.service, parts.region, parts.signed_headers, payload_hash
        )
    signed = {name: headers[name] for name in parts.signed_headers if name in headers}
    params: Any = list(query)
    aws_request = AWSRequest(
        method=method, url=f"http://{host}{path}", headers=signed, params=params
    )
    aws_request.context["timestamp"] = parts.timestamp
    canonical_request = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical_request)
    return SignatureCheck(
        expected=signer.signature(string_to_sign, aws_request),
        canonical_request=canonical_request,
        string_to_sign=string_to_sign,
    )
