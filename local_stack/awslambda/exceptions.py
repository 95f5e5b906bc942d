"""The errors Lambda's API answers, with its real types, status codes and messages."""

from __future__ import annotations

import json

INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."  # noqa: S105
SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


class LambdaError(Exception):
    """An error Lambda's API answers: ``x-amzn-ErrorType`` names it, the JSON body explains it.

    AWS parity: errors raised by the Lambda service itself carry ``"Type": "User"`` (the caller's
    fault); errors of the front door (authentication) have only a message.
    """

    def __init__(self, status: int, error_type: str, message: str, *, user: bool = True) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.user = user

    def body(self) -> bytes:
        payload = (
            {"Type": "User", "message": self.message} if self.user else {"message": self.message}
        )
        return json.dumps(payload).encode()


def missing_authentication_token() -> LambdaError:
    return LambdaError(
        403, "MissingAuthenticationTokenException", "Missing Authentication Token", user=False
    )


def unrecognized_client() -> LambdaError:
    return LambdaError(403, "UnrecognizedClientException", INVALID_TOKEN_MESSAGE, user=False)


def invalid_signature(message: str = SIGNATURE_MISMATCH_MESSAGE) -> LambdaError:
    return LambdaError(403, "InvalidSignatureException", message, user=False)


def signature_expired(timestamp: str, now: str, earliest: str) -> LambdaError:
    """AWS parity: services other than S3 accept a request signed at most 5 minutes away."""
    return invalid_signature(
        f"Signature expired: {timestamp} is now earlier than {earliest} ({now} - 5 min.)"
    )


def signature_not_yet_current(timestamp: str, now: str, latest: str) -> LambdaError:
    return invalid_signature(
        f"Signature not yet current: {timestamp} is still later than {latest} ({now} + 5 min.)"
    )


def incomplete_signature(message: str) -> LambdaError:
    return LambdaError(400, "IncompleteSignatureException", message, user=False)


def resource_not_found(arn: str) -> LambdaError:
    return LambdaError(404, "ResourceNotFoundException", f"Function not found: {arn}")


def request_too_large(limit: int) -> LambdaError:
    return LambdaError(
        413,
        "RequestEntityTooLargeException",
        f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
    )


def invalid_request_content(problem: str) -> LambdaError:
    return LambdaError(
        400, "InvalidRequestContentException", f"Could not parse request body into json: {problem}"
    )


def invalid_parameter_value(message: str) -> LambdaError:
    return LambdaError(400, "InvalidParameterValueException", message)


def validation_error(field: str, value: str, allowed: str) -> LambdaError:
    return LambdaError(
        400,
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: Member must satisfy enum value set: [{allowed}]",
        user=False,
    )


def unknown_operation() -> LambdaError:
    return LambdaError(404, "UnknownOperationException", "Unknown operation", user=False)
