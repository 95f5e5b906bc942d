"""The custom resource's answer to CloudFormation: one JSON PUT to the request's ResponseURL."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

LOGGER = logging.getLogger("web_publisher")
MAX_REASON = 1024  # CloudFormation shows the reason in its events; keep it readable
SEND_TIMEOUT_SECONDS = 10
SEND_ATTEMPTS = 3

Status = Literal["SUCCESS", "FAILED"]


@dataclass(frozen=True)
class CustomResourceResponse:
    """The response object CloudFormation expects (cfn-response semantics)."""

    status: Status
    physical_resource_id: str
    reason: str = ""
    data: Mapping[str, str] = field(default_factory=dict)

    def body(self, event: Mapping[str, Any]) -> bytes:
        """The JSON document PUT to the ResponseURL, echoing the request's identifiers."""
        reason = self.reason
        if len(reason) > MAX_REASON:
            reason = reason[: MAX_REASON - 3] + "..."
        document = {
            "Status": self.status,
            "Reason": reason,
            "PhysicalResourceId": self.physical_resource_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "NoEcho": False,
            "Data": dict(self.data),
        }
        return json.dumps(document).encode("utf-8")


class Responder:
    """Sends exactly one response per request, whichever comes first: the result or a timeout."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self._event = event
        self._lock = threading.Lock()
        self._sent = False

    @property
    def sent(self) -> bool:
        return self._sent

    def send(self, response: CustomResourceResponse) -> bool:
        """PUT ``response`` unless one was already sent; True when this call sent it."""
        with self._lock:
            if self._sent:
                return False
            self._sent = True
        put(str(self._event["ResponseURL"]), response.body(self._event))
        return True


def put(url: str, body: bytes) -> None:
    """PUT ``body`` to the presigned ``url`` as CloudFormation requires (no Content-Type)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"ResponseURL is not an http(s) URL: {url[:40]!r}")
    last_error: OSError | None = None
    for _attempt in range(SEND_ATTEMPTS):
        # The presigned URL signs no Content-Type: an empty one keeps urllib from adding its own.
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url, data=body, method="PUT", headers={"Content-Type": ""}
        )
        try:
            with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as answer:  # noqa: S310
                LOGGER.info("CloudFormation answered %s", answer.status)
                return
        except OSError as err:
            last_error = err
            LOGGER.warning("sending the response failed (%s), trying again", err)
    assert last_error is not None
    raise last_error
