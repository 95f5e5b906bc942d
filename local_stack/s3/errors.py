"""S3 errors as S3 itself reports them: status code, error code, message and XML body."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from xml.sax.saxutils import escape


def new_request_id() -> str:
    """A request id shaped like S3's ``x-amz-request-id`` (16 upper-case hex characters)."""
    return secrets.token_hex(8).upper()


def new_host_id() -> str:
    """An extended request id shaped like S3's ``x-amz-id-2`` (base64 text)."""
    return base64.b64encode(secrets.token_bytes(57)).decode("ascii")


class S3Error(Exception):
    """An error S3 answers with ``<Error><Code>..</Code><Message>..</Message>...</Error>``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details: tuple[tuple[str, str], ...] = tuple(details)

    def to_xml(self, request_id: str, host_id: str) -> bytes:
        """The XML body S3 sends, with the extra elements S3 adds for this error."""
        parts = [
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
            f"<Code>{escape(self.code)}</Code>",
            f"<Message>{escape(self.message)}</Message>",
        ]
        parts.extend(f"<{name}>{escape(value)}</{name}>" for name, value in self.details)
        parts.append(f"<RequestId>{request_id}</RequestId><HostId>{escape(host_id)}</HostId>")
        parts.append("</Error>")
        return "".join(parts).encode("utf-8")


# Constructors for the errors this endpoint answers itself, with S3's exact wording.


def access_denied(message: str = "Access Denied", *details: tuple[str, str]) -> S3Error:
    return S3Error(403, "AccessDenied", message, details)


def signature_does_not_match(
    access_key: str, string_to_sign: str, signature: str, canonical_request: str
) -> S3Error:
    # AWS parity: S3 echoes the string to sign and canonical request so clients can debug.
    return S3Error(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        (
            ("AWSAccessKeyId", access_key),
            ("StringToSign", string_to_sign),
            ("SignatureProvided", signature),
            ("CanonicalRequest", canonical_request),
        ),
    )


def invalid_access_key_id(access_key: str) -> S3Error:
    return S3Error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        (("AWSAccessKeyId", access_key),),
    )


def authorization_header_malformed(message: str, *details: tuple[str, str]) -> S3Error:
    return S3Error(
        400,
        "AuthorizationHeaderMalformed",
        f"The authorization header is malformed; {message}",
        details,
    )


def authorization_query_parameters_error(message: str, *details: tuple[str, str]) -> S3Error:
    return S3Error(400, "AuthorizationQueryParametersError", message, details)


def invalid_request(message: str) -> S3Error:
    return S3Error(400, "InvalidRequest", message)


def invalid_argument(message: str, name: str, value: str) -> S3Error:
    return S3Error(
        400, "InvalidArgument", message, (("ArgumentName", name), ("ArgumentValue", value))
    )


def missing_content_length() -> S3Error:
    return S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")


def incomplete_body() -> S3Error:
    return S3Error(
        400,
        "IncompleteBody",
        "You did not provide the number of bytes specified by the Content-Length HTTP header",
    )


def content_sha256_mismatch(client_value: str, computed: str) -> S3Error:
    return S3Error(
        400,
        "XAmzContentSHA256Mismatch",
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        (("ClientComputedContentSHA256", client_value), ("S3ComputedContentSHA256", computed)),
    )


def not_implemented(header: str) -> S3Error:
    return S3Error(
        501,
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        (("Header", header),),
    )


def no_such_upload(upload_id: str) -> S3Error:
    return S3Error(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may "
        "have been aborted or completed.",
        (("UploadId", upload_id),),
    )


def invalid_part(upload_id: str, number: int, etag: str) -> S3Error:
    return S3Error(
        400,
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not have matched the part's entity tag.",
        (("UploadId", upload_id), ("PartNumber", str(number)), ("ETag", etag)),
    )


def invalid_part_order() -> S3Error:
    return S3Error(
        400,
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
    )


def entity_too_small(size: int, minimum: int, number: int, etag: str) -> S3Error:
    return S3Error(
        400,
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed object size.",
        (
            ("ProposedSize", str(size)),
            ("MinSizeAllowed", str(minimum)),
            ("PartNumber", str(number)),
            ("ETag", etag),
        ),
    )


def entity_too_large(size: int, maximum: int) -> S3Error:
    return S3Error(
        400,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        (("ProposedSize", str(size)), ("MaxSizeAllowed", str(maximum))),
    )


def malformed_xml() -> S3Error:
    return S3Error(
        400,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )


def precondition_failed(condition: str) -> S3Error:
    return S3Error(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        (("Condition", condition),),
    )
