"""Canary: the local S3 endpoint refuses the uploads real S3 refuses, and plain moto accepts them.

Every upload security test of the suite relies on the S3 endpoint checking presigned URLs. Each
attack below is sent, byte for byte the same, to the local stack's S3 endpoint and to a plain
``moto`` server: the local endpoint must refuse it as S3 does, and plain moto must accept it, or
the security tests would prove nothing (they would pass against an emulator that checks nothing).
"""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.integration.tavern_helpers import local_s3_client

if TYPE_CHECKING:
    from mypy_boto3_s3.client import S3Client

    from tests.integration.conftest import StackFactory

pytestmark = pytest.mark.local_only

BODY = b"canary payload\n"
CONTENT_TYPE = "text/plain"


@dataclass(frozen=True)
class Endpoint:
    """An S3 endpoint with a fresh bucket to upload into."""

    name: str
    client: S3Client
    bucket: str

    def presign_upload(self, key: str, expires_in: int = 300) -> str:
        """A presigned PUT signing size, type and ``If-None-Match: *``, as POST /file makes."""
        return self.client.generate_presigned_url(
            "put_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ContentLength": len(BODY),
                "ContentType": CONTENT_TYPE,
                "IfNoneMatch": "*",
            },
            ExpiresIn=expires_in,
        )

    def stored_body(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no object."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None


def endpoint_with_bucket(name: str, endpoint_url: str) -> Endpoint:
    client = local_s3_client(endpoint_url)
    bucket = f"canary-{secrets.token_hex(8)}"
    client.create_bucket(Bucket=bucket)
    return Endpoint(name=name, client=client, bucket=bucket)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def local_s3(local_stacks: StackFactory) -> Endpoint:
    """The local stack's S3 endpoint (the one presigned URLs point to)."""
    return endpoint_with_bucket("local stack", local_stacks({})["s3_url"])


@pytest.fixture(scope="module")
def plain_moto() -> Iterator[Endpoint]:
    """A plain moto server on a free loopback port: what the local stack is built on."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield endpoint_with_bucket("plain moto", f"http://127.0.0.1:{port}")
    finally:
        server.stop()


def put(
    url: str, body: bytes = BODY, headers: Mapping[str, str] | None = None
) -> requests.Response:
    """PUT raw bytes; requests sets Content-Length from the body, as a browser does."""
    sent = {"Content-Type": CONTENT_TYPE, "If-None-Match": "*"} if headers is None else headers
    return requests.put(url, data=body, headers=dict(sent), timeout=30)


def tamper_signature(url: str) -> str:
    head, _, signature = url.rpartition("X-Amz-Signature=")
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    return f"{head}X-Amz-Signature={flipped}"


@dataclass(frozen=True)
class Attack:
    """A request real S3 refuses: how to send it (it targets ``key``), what S3 answers, and
    what ``key`` holds afterwards."""

    send: Callable[[Endpoint, str], requests.Response]
    status: int
    code: str
    message: str | None = None
    leaves: bytes | None = None


def expired_url(endpoint: Endpoint, key: str) -> requests.Response:
    url = endpoint.presign_upload(key, expires_in=1)
    time.sleep(2.5)
    return put(url)


def tampered_signature(endpoint: Endpoint, key: str) -> requests.Response:
    return put(tamper_signature(endpoint.presign_upload(key)))


def tampered_key(endpoint: Endpoint, key: str) -> requests.Response:
    url = endpoint.presign_upload(f"{key}-signed")
    return put(url.replace(f"/{key}-signed?", f"/{key}?", 1))


def longer_body(endpoint: Endpoint, key: str) -> requests.Response:
    return put(endpoint.presign_upload(key), body=BODY + b"!")


def shorter_body(endpoint: Endpoint, key: str) -> requests.Response:
    return put(endpoint.presign_upload(key), body=BODY[:-1])


def other_type(endpoint: Endpoint, key: str) -> requests.Response:
    headers = {"Content-Type": "text/html", "If-None-Match": "*"}
    return put(endpoint.presign_upload(key), headers=headers)


def repeat_without_if_none_match(endpoint: Endpoint, key: str) -> requests.Response:
    url = endpoint.presign_upload(key)
    first = put(url)
    assert first.status_code == 200, f"{endpoint.name}: first upload failed: {first.text}"
    return put(url, body=BODY.upper(), headers={"Content-Type": CONTENT_TYPE})


ATTACKS = {
    "expired-url": Attack(expired_url, 403, "AccessDenied", "Request has expired"),
    "tampered-signature": Attack(tampered_signature, 403, "SignatureDoesNotMatch"),
    "tampered-key": Attack(tampered_key, 403, "SignatureDoesNotMatch"),
    "longer-body": Attack(longer_body, 403, "SignatureDoesNotMatch"),
    "shorter-body": Attack(shorter_body, 403, "SignatureDoesNotMatch"),
    "other-content-type": Attack(other_type, 403, "SignatureDoesNotMatch"),
    "repeat-dropping-if-none-match": Attack(
        repeat_without_if_none_match, 403, "SignatureDoesNotMatch", leaves=BODY
    ),
}


@pytest.mark.parametrize("attack_name", sorted(ATTACKS))
def test_local_s3_refuses_attack(local_s3: Endpoint, attack_name: str) -> None:
    attack = ATTACKS[attack_name]
    key = secrets.token_hex(16)
    response = attack.send(local_s3, key)
    assert response.status_code == attack.status, response.text
    assert f"<Code>{attack.code}</Code>" in response.text
    if attack.message is not None:
        assert f"<Message>{attack.message}</Message>" in response.text
    assert local_s3.stored_body(key) == attack.leaves, "the refused upload changed the object"


@pytest.mark.parametrize("attack_name", sorted(ATTACKS))
def test_plain_moto_accepts_attack(plain_moto: Endpoint, attack_name: str) -> None:
    attack = ATTACKS[attack_name]
    key = secrets.token_hex(16)
    response = attack.send(plain_moto, key)
    assert response.status_code == 200, (
        f"plain moto refused {attack_name} ({response.status_code}): the canary no longer shows "
        f"that the local S3 endpoint adds the check\n{response.text}"
    )
    assert plain_moto.stored_body(key) != attack.leaves, "plain moto ignored the upload"


def test_local_s3_refuses_second_upload_with_if_none_match(local_s3: Endpoint) -> None:
    """A repeat that keeps the signed ``If-None-Match: *`` fails its precondition (412)."""
    key = secrets.token_hex(16)
    url = local_s3.presign_upload(key)
    assert put(url).status_code == 200
    second = put(url, body=BODY.upper())
    assert second.status_code == 412, second.text
    assert "<Code>PreconditionFailed</Code>" in second.text
    assert local_s3.stored_body(key) == BODY


@pytest.mark.parametrize("endpoint_name", ["local_s3", "plain_moto"])
def test_signed_upload_is_accepted(request: pytest.FixtureRequest, endpoint_name: str) -> None:
    """The control: a correct upload works on both, so a refusal above is the check, not a bug."""
    endpoint: Endpoint = request.getfixturevalue(endpoint_name)
    key = secrets.token_hex(16)
    response = put(endpoint.presign_upload(key))
    assert response.status_code == 200, response.text
    assert endpoint.stored_body(key) == BODY


def test_local_s3_refuses_anonymous_read(local_s3: Endpoint) -> None:
    key = secrets.token_hex(16)
    assert put(local_s3.presign_upload(key)).status_code == 200
    response = requests.get(
        f"{local_s3.client.meta.endpoint_url}/{local_s3.bucket}/{key}", timeout=30
    )
    assert response.status_code == 403, response.text
    assert "<Code>AccessDenied</Code>" in response.text
