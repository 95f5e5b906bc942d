"""The local S3 endpoint: a WSGI app that checks each request as S3 does, then runs it on moto.

The request's path through S3 (CORS preflight, SigV4, body checks, the backend or a multipart
step under its key lock, the journal, the event, the response headers) reads in order in one
class; each step's rules live in auth, payload, multipart, cors, errors, journal, forwarding.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from local_stack.s3 import checksums, cors, errors, forwarding, journal, multipart
from local_stack.s3.auth import QUERY_AUTH_PARAMS, Principal, SigV4Authenticator
from local_stack.s3.forwarding import BackendResponse, call_backend, internal_error
from local_stack.s3.journal import ObjectJournal
from local_stack.s3.locks import KeyLocks
from local_stack.s3.notifications import (
    CreatedObject,
    ObjectCreatedCallback,
    Sequencer,
    build_record,
)
from local_stack.s3.payload import ReceivedBody, read_body
from local_stack.s3.request import ReceivedRequest, received_request

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

logger = logging.getLogger(__name__)

# Query parameters that carry authentication (or botocore's operation hint), not a sub-resource.
_NON_RESOURCE_QUERY = frozenset({*QUERY_AUTH_PARAMS, "X-Amz-Security-Token", "x-id"})
# Response headers of moto's Flask app that S3 does not send (CORS comes from the bucket here).
# moto also echoes the x-amz-sdk-checksum-algorithm a key was stored with, which S3 never sends.
_DROPPED_BACKEND_HEADERS = (
    "access-control-",
    "vary",
    "x-amzn-requestid",
    "server",
    "x-amz-sdk-checksum-algorithm",
)
_DEFAULT_CONFIGURATION_ID = "ObjectCreatedEvents"
_HOST_ID = re.compile(rb"<HostId>[^<]*</HostId>")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass(frozen=True)
class BucketSettings:
    """What the endpoint enforces for one bucket (from the template, already resolved)."""

    cors_rules: list[dict[str, Any]]  # CloudFormation CorsConfiguration.CorsRules
    public: bool = False  # anonymous GET/HEAD of objects allowed (a public-read bucket policy)
    object_created_events: bool = True  # emit s3:ObjectCreated:* records for this bucket
    configuration_id: str = _DEFAULT_CONFIGURATION_ID  # the notification's configurationId


class S3Endpoint:
    """WSGI app for path-style S3 requests (``http://host:port/<bucket>/<key>``).

    Every request is authenticated (SigV4, header or presigned) before ``backend`` (moto's S3
    WSGI app, in process) sees it; bodies are checked against their signed length and declared
    hashes; conditional writes to one key are serialized; bucket CORS is applied; with a
    ``journal`` every write is on disk before it is answered; and ObjectCreated records go to
    ``on_object_created`` before the answer (it must only queue them).
    """

    def __init__(
        self,
        backend: WSGIApplication,
        credentials: Mapping[str, str],
        region: str,
        buckets: Mapping[str, BucketSettings],
        on_object_created: ObjectCreatedCallback | None = None,
        clock: Callable[[], datetime] = utc_now,
        key_locks: KeyLocks | None = None,
        journal: ObjectJournal | None = None,
    ) -> None:
        self._backend = backend
        self._region = region
        self._buckets = dict(buckets)
        self._clock = clock
        self._authenticator = SigV4Authenticator(credentials, region, clock)
        self._key_locks = key_locks or KeyLocks()
        self._journal = journal
        self._sequencer = Sequencer()
        self._on_object_created = on_object_created

    # WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request_id = errors.new_request_id()
        host_id = errors.new_host_id()
        request = received_request(environ)
        settings = self._buckets.get(request.bucket)
        rules = settings.cors_rules if settings else []
        if request.method == "OPTIONS":
            # AWS parity: preflights are answered from the bucket's CORS rules, unauthenticated.
            resource_type = "OBJECT" if request.key else "BUCKET"
            try:
                answer = cors.preflight_headers(rules, request.headers, resource_type)
            except errors.S3Error as err:
                return self._error(err, request, rules, request_id, host_id, start_response)
            answer.update(self._id_headers(request_id, host_id))
            answer["Content-Length"] = "0"
            start_response("200 OK", list(answer.items()))
            return [b""]
        body: ReceivedBody | None = None
        try:
            principal = self._authenticator.authenticate(request)
            self._authorize(request, principal, settings)
            operation = multipart.operation(request)
            if operation == "UploadPart":
                multipart.check_part(request)
            forwarded, body = self._forwarded_environ(environ, request, operation)
            if "HTTP_AUTHORIZATION" not in forwarded:
                # The request passed authentication above (a presigned URL, or an anonymous read
                # that the bucket's public-read setting allowed). moto runs checks of its own on
                # requests that do not look header-signed (e.g. it mistakes a presigned
                # response-content-type for a header the request must carry and answers
                # SignatureDoesNotMatch for a missing key instead of NoSuchKey), so the request
                # is marked as already checked.
                forwarded = {**forwarded, "HTTP_AUTHORIZATION": self._internal_authorization()}
            if operation == "ListParts":
                # moto pages ListParts by list index and drops part checksums: answered here.
                response, created = multipart.list_parts(request), None
            else:
                response = self._run(forwarded, request, body, operation)
                created = self._created_object(forwarded, request, principal, body, response)
        except errors.S3Error as err:
            return self._error(err, request, rules, request_id, host_id, start_response)
        finally:
            if body is not None:
                body.close()  # moto has read it (and keeps its own copy)
        headers = self._response_headers(response, request, rules, request_id, host_id)
        start_response(response.status, headers)
        if created is not None and settings is not None and settings.object_created_events:
            self._emit(created, request_id, host_id, settings)
        return response.body

    # Checks ----------------------------------------------------------------------------------

    @staticmethod
    def _authorize(
        request: ReceivedRequest, principal: Principal, settings: BucketSettings | None
    ) -> None:
        if not principal.anonymous:
            return  # the local stack's credentials act as the account owner
        readable = settings is not None and settings.public and bool(request.key)
        if readable and request.method in ("GET", "HEAD"):
            return
        # AWS parity: anonymous requests to a private bucket (or unknown one) get AccessDenied.
        raise errors.access_denied()

    def _forwarded_environ(
        self, environ: WSGIEnvironment, request: ReceivedRequest, operation: str | None
    ) -> tuple[WSGIEnvironment, ReceivedBody | None]:
        if request.method not in ("PUT", "POST"):
            return environ, None
        if request.key and request.method == "PUT":
            condition = request.headers.get("if-none-match")
            if condition is not None and condition.strip() != "*":
                # AWS parity: a conditional PutObject accepts only "If-None-Match: *".
                raise errors.not_implemented("If-None-Match")
        completing = request.method == "POST" and request.has_query("uploadId")
        body = read_body(
            environ,
            request.method,
            request.headers,
            body_checksums=not completing,
            spooled=operation == "UploadPart",
        )
        forwarded: dict[str, Any] = dict(environ)
        forwarded["wsgi.input"] = body.file
        # The checked body is a file that ends where the body does: werkzeug then hands it to
        # moto as it is, and moto's one read() takes it whole instead of 64 KiB at a time.
        forwarded["wsgi.input_terminated"] = True
        forwarded["CONTENT_LENGTH"] = str(body.size)
        forwarded.pop("HTTP_TRANSFER_ENCODING", None)
        for name in body.drop_headers:
            forwarded.pop(forwarding.environ_name(name), None)
        for name, value in body.set_headers.items():
            forwarded[forwarding.environ_name(name)] = value
        return forwarded, body

    def _run(
        self,
        environ: WSGIEnvironment,
        request: ReceivedRequest,
        body: ReceivedBody | None,
        operation: str | None,
    ) -> BackendResponse:
        conditional = bool(request.key) and request.method in ("PUT", "POST")
        conditional = conditional and (
            "if-none-match" in request.headers
            or "if-match" in request.headers
            or operation == "CompleteMultipartUpload"
        )
        journaled = self._journal is not None and request.method in ("PUT", "POST", "DELETE")
        # Thread safety: moto checks If-None-Match and then writes, without a lock; holding a
        # per-key lock across the whole backend call makes concurrent conditional writes to
        # one key take turns, so only one "If-None-Match: *" upload can succeed. A journaled
        # write holds it until the disk agrees with moto, so two writes never keep stale state.
        lock: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if (journaled or operation == "UploadPart") and request.key:
            lock = self._key_locks.hold(*journal.lock_name(request))
        elif conditional:
            lock = self._key_locks.hold(request.bucket, request.key)
        with lock:
            if operation in ("UploadPart", "CompleteMultipartUpload") and body is not None:
                response = multipart.run(request, body, operation)
            else:
                response = call_backend(self._backend, environ)
            if not 200 <= response.status_code < 300:
                return response
            response.read()  # moto has finished the write once its answer is read whole
            plain_put = request.method == "PUT" and not _resources(request)
            copying = "x-amz-copy-source" in request.headers
            if body is not None and (operation == "UploadPart" or plain_put) and not copying:
                response.headers += checksums.keep(request, body, part=operation == "UploadPart")
            if journaled and self._journal is not None:
                data = body.read_small() if body is not None and not request.key else b""
                try:
                    journal.record_write(self._journal, request, data, self._key_locks)
                except Exception as err:
                    # moto applied the write but the disk does not have it: never answer 2xx.
                    logger.exception("The S3 journal could not keep %s", request.key or "a write")
                    raise internal_error() from err
            return response

    # Responses -------------------------------------------------------------------------------

    def _response_headers(
        self,
        response: BackendResponse,
        request: ReceivedRequest,
        rules: list[dict[str, Any]],
        request_id: str,
        host_id: str,
    ) -> list[tuple[str, str]]:
        moto_request_id = response.header("x-amzn-requestid")
        headers = [
            (name, value)
            for name, value in response.headers
            if not name.lower().startswith(_DROPPED_BACKEND_HEADERS)
        ]
        if response.status_code >= 400 and moto_request_id:
            # Keep the RequestId in moto's XML error body equal to our x-amz-request-id.
            data = response.read().replace(moto_request_id.encode(), request_id.encode())
            data = _HOST_ID.sub(f"<HostId>{host_id}</HostId>".encode(), data)
            response.body = [data]
            headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
            headers.append(("Content-Length", str(len(data))))
        if request.method not in ("GET", "HEAD") and response.header("content-length") == "0":
            # moto labels empty answers text/html; S3 sends no Content-Type for them.
            headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
        if request.method in ("GET", "HEAD") and response.status_code in (200, 206):
            kept = checksums.stored_headers(request)
            headers = [(n, v) for n, v in headers if n.lower() not in kept]
            headers.extend(kept.items())
        headers.extend(self._id_headers(request_id, host_id).items())
        headers.extend(cors.response_headers(rules, request.headers, request.method).items())
        return headers

    @staticmethod
    def _id_headers(request_id: str, host_id: str) -> dict[str, str]:
        return {"x-amz-request-id": request_id, "x-amz-id-2": host_id, "Server": "AmazonS3"}

    def _error(
        self,
        err: errors.S3Error,
        request: ReceivedRequest,
        rules: list[dict[str, Any]],
        request_id: str,
        host_id: str,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        # AWS parity: HEAD errors carry no body, only the status code.
        body = b"" if request.method == "HEAD" else err.to_xml(request_id, host_id)
        headers = {"Content-Type": "application/xml", "Content-Length": str(len(body))}
        headers.update(self._id_headers(request_id, host_id))
        if request.method != "OPTIONS":
            headers.update(cors.response_headers(rules, request.headers, request.method))
        if request.method in ("PUT", "POST"):
            # The refused body may not have been read: closing the connection (as S3 does on such
            # errors) lets a client still sending it, such as a browser XHR, see the error at once.
            headers["Connection"] = "close"
        start_response(f"{err.status} {HTTPStatus(err.status).phrase}", list(headers.items()))
        return [body]

    # Events ----------------------------------------------------------------------------------

    def _created_object(
        self,
        environ: WSGIEnvironment,
        request: ReceivedRequest,
        principal: Principal,
        body: ReceivedBody | None,
        response: BackendResponse,
    ) -> CreatedObject | None:
        if not request.key or not 200 <= response.status_code < 300:
            return None
        resources = _resources(request)
        if request.method == "PUT" and not resources and body is not None:
            copying = "x-amz-copy-source" in request.headers
            event_name = "ObjectCreated:Copy" if copying else "ObjectCreated:Put"
        elif request.method == "POST" and resources == {"uploadId"}:
            event_name = "ObjectCreated:CompleteMultipartUpload"
        else:
            return None
        size = body.size if body is not None else 0
        etag = response.header("etag")
        version_id = response.header("x-amz-version-id")
        if event_name != "ObjectCreated:Put":
            # AWS parity: CopyObject and CompleteMultipartUpload can fail with status 200 and an
            # <Error> body; only a real success creates an object.
            if forwarding.is_error_document(response.read()):
                return None
            head = self._head(environ)
            if head is None:
                return None
            size = int(head.header("content-length") or 0)
            etag = head.header("etag")
        return CreatedObject(
            event_name=event_name,
            bucket=request.bucket,
            key=request.key,
            size=size,
            etag=(etag or "").strip('"'),
            principal=principal.access_key or "",
            source_ip=request.source_ip,
            request_id="",
            host_id="",
            # moto answers "null" for unversioned buckets, where S3 sends no version id.
            version_id=None if version_id in (None, "null") else version_id,
        )

    def _head(self, environ: WSGIEnvironment) -> BackendResponse | None:
        head: dict[str, Any] = {
            name: value
            for name, value in environ.items()
            if not name.startswith("HTTP_") and name not in ("CONTENT_TYPE", "CONTENT_LENGTH")
        }
        head.update(
            REQUEST_METHOD="HEAD",
            QUERY_STRING="",
            HTTP_HOST=environ.get("HTTP_HOST", ""),
            # moto serves private objects only to requests that look signed; this one comes
            # from the endpoint itself after the original request passed authentication.
            HTTP_AUTHORIZATION=self._internal_authorization(),
        )
        head["wsgi.input"] = io.BytesIO(b"")
        response = call_backend(self._backend, head)
        response.read()
        return response if response.status_code == 200 else None

    def _internal_authorization(self) -> str:
        return (
            f"AWS4-HMAC-SHA256 Credential=local-stack/{self._clock():%Y%m%d}/"
            f"{self._region}/s3/aws4_request, SignedHeaders=host, Signature=internal"
        )

    def _emit(
        self, created: CreatedObject, request_id: str, host_id: str, settings: BucketSettings
    ) -> None:
        if self._on_object_created is None:
            return
        record = build_record(
            dataclasses.replace(created, request_id=request_id, host_id=host_id),
            region=self._region,
            event_time=self._clock(),
            sequencer=self._sequencer.next(),
            configuration_id=settings.configuration_id,
        )
        try:
            # On the request path: the callback only queues the event (Lambda's asynchronous
            # invocation queue, durable when the stack keeps its data), so a 2xx answer means
            # the event will be delivered, even across a crash; the function runs later.
            self._on_object_created(record)
        except Exception:
            logger.exception("The ObjectCreated event of %s could not be queued", created.key)


def _resources(request: ReceivedRequest) -> set[str]:
    """The sub-resources a request names (``uploadId``, ``tagging``...), not its auth query."""
    return {name for name, _ in request.query} - _NON_RESOURCE_QUERY
