"""SigV4 checks of requests to the local Lambda API, refused as Lambda's front door refuses them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from botocore.auth import SIGV4_TIMESTAMP

from local_stack.awslambda import exceptions
from local_stack.http.sigv4 import (
    ALGORITHM,
    TERMINAL,
    KeyedAuthenticator,
    SignedParts,
    authorization_fields,
    compute_signature,
    credential_scope,
    parse_timestamp,
    skewed,
    split_signed_headers,
)

SERVICE = "lambda"
# AWS parity: services other than S3 refuse a request signed more than 5 minutes away.
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class SignedRequest:
    """A received request as SigV4 covers it: the path exactly as sent (still URI-encoded)."""

    method: str
    host: str
    raw_path: str
    query: tuple[tuple[str, str], ...]
    headers: Mapping[str, str]  # lower-case name -> value
    body: bytes


class LambdaAuthenticator(KeyedAuthenticator):
    """Checks the Authorization header of a Lambda API request against the known keys."""

    def authenticate(self, request: SignedRequest) -> str:
        """The caller's access key, or raise the ``LambdaError`` Lambda would answer."""
        authorization = request.headers.get("authorization")
        if authorization is None:
            raise exceptions.missing_authentication_token()
        scheme, fields = authorization_fields(authorization)
        if scheme != ALGORITHM:
            raise exceptions.incomplete_signature(
                f"Authorization header requires 'Credential' parameter. Authorization header "
                f"requires 'Signature' parameter. Authorization={authorization}"
            )
        missing = [
            name for name in ("Credential", "SignedHeaders", "Signature") if name not in fields
        ]
        if missing:
            raise exceptions.incomplete_signature(
                " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
                + f" Authorization={authorization}"
            )
        timestamp = request.headers.get("x-amz-date", "")
        signed_at = parse_timestamp(timestamp)
        if signed_at is None:
            raise exceptions.incomplete_signature(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' "
                f"header. Authorization={authorization}"
            )
        scope = credential_scope(fields["Credential"])
        if scope is None:
            raise exceptions.incomplete_signature(
                f"Credential must have exactly 5 slash-delimited elements, e.g. "
                f"keyid/date/region/service/term, got '{fields['Credential']}'"
            )
        access_key, date, region, service, terminal = scope
        if request.headers.get("x-amz-security-token") is not None:
            # The local keys are long-term: no session token is valid here.
            raise exceptions.unrecognized_client()
        secret = self._credentials.get(access_key)
        if secret is None:
            raise exceptions.unrecognized_client()
        if region != self._region:
            raise exceptions.invalid_signature(
                f"Credential should be scoped to a valid region, not '{region}'. "
            )
        if service != SERVICE:
            raise exceptions.invalid_signature(
                f"Credential should be scoped to correct service: '{SERVICE}'. "
            )
        if terminal != TERMINAL or date != timestamp[:8]:
            raise exceptions.invalid_signature(
                "Credential should be scoped with a valid terminator: 'aws4_request', "
                "and a date matching X-Amz-Date."
            )
        now = self._clock()
        if skewed(signed_at, now, MAX_CLOCK_SKEW) and signed_at > now:
            raise exceptions.signature_not_yet_current(
                timestamp,
                now.strftime(SIGV4_TIMESTAMP),
                (now + MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP),
            )
        if skewed(signed_at, now, MAX_CLOCK_SKEW):
            raise exceptions.signature_expired(
                timestamp,
                now.strftime(SIGV4_TIMESTAMP),
                (now - MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP),
            )
        parts = SignedParts(
            access_key=access_key,
            date=date,
            region=region,
            service=service,
            terminal=terminal,
            signed_headers=split_signed_headers(fields["SignedHeaders"]),
            signature=fields["Signature"],
            timestamp=timestamp,
        )
        if "host" not in parts.signed_headers:
            raise exceptions.invalid_signature(
                "'Host' must be a 'SignedHeader' in the AWS Authorization."
            )
        check = compute_signature(
            method=request.method,
            host=request.host,
            path=request.raw_path,
            query=request.query,
            headers=dict(request.headers),
            parts=parts,
            secret_key=secret,
            # AWS parity: the payload hash covers the body actually received.
            payload_hash=hashlib.sha256(request.body).hexdigest(),
        )
        if not check.matches(parts.signature):
            raise exceptions.invalid_signature()
        return access_key
