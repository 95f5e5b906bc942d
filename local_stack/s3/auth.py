"""SigV4 verification of received S3 requests, recomputed with botocore's own signer code."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from email.utils import parsedate_to_datetime

from botocore.auth import SIGV4_TIMESTAMP, UNSIGNED_PAYLOAD

from local_stack.http.sigv4 import (
    ALGORITHM,
    KeyedAuthenticator,
    SignedParts,
    authorization_fields,
    compute_signature,
    credential_scope,
    iso,
    parse_timestamp,
    skewed,
    split_signed_headers,
)
from local_stack.s3 import errors
from local_stack.s3.request import ReceivedRequest

# AWS parity: S3 refuses presigned URLs that live longer than 7 days.
MAX_PRESIGNED_EXPIRES = 604800
# AWS parity: S3 tolerates 15 minutes of clock skew between request time and its own clock.
MAX_CLOCK_SKEW = timedelta(minutes=15)
QUERY_AUTH_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
STREAMING_SIGNED_PAYLOADS = frozenset(
    {"STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"}
)


@dataclass(frozen=True)
class Principal:
    """Who sent a request that passed authentication; ``access_key`` is None when anonymous."""

    access_key: str | None
    payload_hash: str = UNSIGNED_PAYLOAD  # the payload hash the signature covers
    presigned: bool = False

    @property
    def anonymous(self) -> bool:
        return self.access_key is None


ANONYMOUS = Principal(access_key=None)


class SigV4Authenticator(KeyedAuthenticator):
    """Authenticates S3 requests the way S3 does: presigned (query) or Authorization header."""

    def authenticate(self, request: ReceivedRequest) -> Principal:
        """Return who signed the request, or raise the ``S3Error`` S3 would answer."""
        authorization = request.headers.get("authorization")
        presigned = request.has_query("X-Amz-Algorithm") or request.has_query("X-Amz-Signature")
        if authorization is not None and presigned:
            raise errors.invalid_argument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                "Signature query string parameter or the Authorization header should be specified",
                "Authorization",
                authorization,
            )
        token = request.headers.get("x-amz-security-token") or request.query_value(
            "X-Amz-Security-Token"
        )
        if token is not None and (presigned or authorization is not None):
            # The local stack's credentials are long-term keys: no session token is valid, and a
            # token cannot be checked here, so it is refused as S3 refuses an unknown token.
            raise errors.S3Error(
                400, "InvalidToken", "The provided token is malformed or otherwise invalid."
            )
        if presigned:
            return self._authenticate_query(request)
        if authorization is not None:
            return self._authenticate_header(request, authorization)
        if request.has_query("Signature") or request.has_query("AWSAccessKeyId"):
            raise self._sigv2_not_supported()
        return ANONYMOUS

    @staticmethod
    def _sigv2_not_supported() -> errors.S3Error:
        # AWS parity: buckets created after June 2020 accept only SigV4. botocore signs presigned
        # URLs with SigV2 unless the client is configured with signature_version="s3v4".
        return errors.invalid_request(
            "The authorization mechanism you have provided is not supported. "
            "Please use AWS4-HMAC-SHA256."
        )

    # Presigned URLs ------------------------------------------------------------------------

    def _authenticate_query(self, request: ReceivedRequest) -> Principal:
        params = {name: request.query_value(name) for name in QUERY_AUTH_PARAMS}
        missing = [name for name, value in params.items() if value is None]
        if missing:
            raise errors.authorization_query_parameters_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                "and X-Amz-Expires parameters."
            )
        values = {name: value or "" for name, value in params.items()}
        if values["X-Amz-Algorithm"] != ALGORITHM:
            raise errors.authorization_query_parameters_error(
                'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'
            )
        signed_at = parse_timestamp(values["X-Amz-Date"])
        if signed_at is None:
            raise errors.authorization_query_parameters_error(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
            )
        expires = self._expires_seconds(values["X-Amz-Expires"])
        parts = self._credential_parts(
            values["X-Amz-Credential"],
            values["X-Amz-SignedHeaders"],
            values["X-Amz-Signature"],
            values["X-Amz-Date"],
            errors.authorization_query_parameters_error,
            "Error parsing the X-Amz-Credential parameter; ",
        )
        now = self._clock()
        expires_at = signed_at + timedelta(seconds=expires)
        if now > expires_at:
            raise errors.access_denied(
                "Request has expired",
                ("X-Amz-Expires", str(expires)),
                ("Expires", iso(expires_at)),
                ("ServerTime", iso(now)),
            )
        if signed_at - now > MAX_CLOCK_SKEW:
            # AWS parity: a presigned URL dated in the future (beyond the skew S3 tolerates)
            # is refused with AccessDenied "Request is not valid yet".
            raise errors.access_denied(
                "Request is not valid yet",
                ("X-Amz-Date", values["X-Amz-Date"]),
                ("ServerTime", iso(now)),
            )
        self._check_unsigned_amz_headers(request, parts.signed_headers)
        # AWS parity: presigned URLs cover no payload hash ("UNSIGNED-PAYLOAD").
        self._verify(request, parts, UNSIGNED_PAYLOAD, exclude_query="X-Amz-Signature")
        return Principal(access_key=parts.access_key, presigned=True)

    @staticmethod
    def _expires_seconds(value: str) -> int:
        try:
            expires = int(value)
        except ValueError:
            raise errors.authorization_query_parameters_error(
                "X-Amz-Expires should be a number"
            ) from None
        if expires < 0:
            raise errors.authorization_query_parameters_error("X-Amz-Expires must be non-negative")
        if expires > MAX_PRESIGNED_EXPIRES:
            raise errors.authorization_query_parameters_error(
                "X-Amz-Expires must be less than a week (in seconds) that is; 604800"
            )
        return expires

    # Authorization header ---------------------------------------------------------------------

    def _authenticate_header(self, request: ReceivedRequest, authorization: str) -> Principal:
        scheme, fields = authorization_fields(authorization)
        if scheme != ALGORITHM:
            if scheme == "AWS":
                raise self._sigv2_not_supported()
            raise errors.invalid_argument(
                "Unsupported Authorization Type", "Authorization", authorization
            )
        if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
            raise errors.authorization_header_malformed(
                "the authorization header requires three components: Credential, SignedHeaders,"
                " Signature."
            )
        timestamp = request.headers.get("x-amz-date")
        if timestamp is None and "date" in request.headers:
            timestamp = self._date_header_timestamp(request.headers["date"])
        signed_at = parse_timestamp(timestamp) if timestamp else None
        if timestamp is None or signed_at is None:
            raise errors.access_denied(
                "AWS authentication requires a valid Date or x-amz-date header"
            )
        payload_hash = request.headers.get("x-amz-content-sha256")
        if payload_hash is None:
            # AWS parity: SigV4 header auth to S3 must declare the payload hash.
            raise errors.invalid_request(
                "Missing required header for this request: x-amz-content-sha256"
            )
        parts = self._credential_parts(
            fields["Credential"],
            fields["SignedHeaders"],
            fields["Signature"],
            timestamp,
            errors.authorization_header_malformed,
            "",
        )
        now = self._clock()
        if skewed(signed_at, now, MAX_CLOCK_SKEW):
            raise errors.S3Error(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
                (
                    ("RequestTime", timestamp),
                    ("ServerTime", iso(now)),
                    ("MaxAllowedSkewMilliseconds", "900000"),
                ),
            )
        self._check_unsigned_amz_headers(request, parts.signed_headers)
        self._verify(request, parts, payload_hash, exclude_query=None)
        return Principal(access_key=parts.access_key, payload_hash=payload_hash)

    @staticmethod
    def _date_header_timestamp(value: str) -> str | None:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime(SIGV4_TIMESTAMP)

    # Shared ----------------------------------------------------------------------------------

    def _credential_parts(
        self,
        credential: str,
        signed_headers: str,
        signature: str,
        timestamp: str,
        malformed: Callable[..., errors.S3Error],
        prefix: str,
    ) -> SignedParts:
        scope = credential_scope(credential)
        if scope is None:
            raise malformed(
                f"{prefix}a non-empty Access Key (AKID) must be provided in the credential."
            )
        access_key, date, region, service, terminal = scope
        if region != self._region:
            raise malformed(
                f"{prefix}the region '{region}' is wrong; expecting '{self._region}'",
                ("Region", self._region),
            )
        if service != "s3":
            raise malformed(
                f"{prefix}incorrect service '{service}'. This endpoint belongs to 's3'."
            )
        if terminal != "aws4_request":
            raise malformed(
                f"{prefix}incorrect terminal '{terminal}'. This endpoint uses 'aws4_request'."
            )
        if date != timestamp[:8]:
            raise malformed(f"{prefix}Invalid credential date. Date is not the same as X-Amz-Date.")
        names = split_signed_headers(signed_headers)
        return SignedParts(
            access_key=access_key,
            date=date,
            region=region,
            service=service,
            terminal=terminal,
            signed_headers=names,
            signature=signature,
            timestamp=timestamp,
        )

    @staticmethod
    def _check_unsigned_amz_headers(request: ReceivedRequest, signed: Sequence[str]) -> None:
        # AWS parity: S3 requires "host" and every x-amz-* header sent to be signed.
        unsigned = sorted(
            name
            for name in request.headers
            if (name.startswith("x-amz-") or name == "host") and name not in signed
        )
        if "host" not in signed and "host" not in unsigned:
            unsigned.insert(0, "host")
        if unsigned:
            raise errors.access_denied(
                "There were headers present in the request which were not signed",
                ("HeadersNotSigned", ", ".join(unsigned)),
            )

    def _verify(
        self,
        request: ReceivedRequest,
        parts: SignedParts,
        payload_hash: str,
        exclude_query: str | None,
    ) -> None:
        secret = self._credentials.get(parts.access_key)
        if secret is None:
            raise errors.invalid_access_key_id(parts.access_key)
        # A list of pairs (not a dict) keeps repeated query names, as SigV4 requires.
        check = compute_signature(
            method=request.method,
            host=request.host,
            path=request.canonical_path,
            query=[(name, value) for name, value in request.query if name != exclude_query],
            headers=dict(request.headers),
            parts=parts,
            secret_key=secret,
            payload_hash=payload_hash,
        )
        if not check.matches(parts.signature):
            raise errors.signature_does_not_match(
                parts.access_key, check.string_to_sign, parts.signature, check.canonical_request
            )
