"""What a page sent for multipart uploads: API calls, part PUTs with their checksums, throttling."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Request, Response

from local_stack.testing.checksums import sha256_b64
from tests.helpers.multipart import split_parts

MIB = 1024 * 1024
# conftest.MULTIPART_PARAMS: parts of 5 MiB from 5 MiB up, so an 11 MiB file makes 3 parts.
PART_SIZE = 5 * MIB
CHECKSUM_HEADER = "x-amz-checksum-sha256"
LARGE_SIZE = 11 * MIB  # three parts: 5 MiB, 5 MiB and 1 MiB
# A part's five attempts wait 0.5 + 1 + 2 + 4 s at most between them (multipart.js).
GIVE_UP_TIMEOUT_MS = 20_000


def part_checksums(content: bytes, part_size: int = PART_SIZE) -> dict[int, str]:
    """Each part's checksum by part number, for `content` cut into `part_size` parts."""
    return {
        number: sha256_b64(part)
        for number, part in enumerate(split_parts(content, part_size), start=1)
    }


def part_number(url: str) -> int | None:
    """The `partNumber` of an UploadPart URL, None for any other URL."""
    values = parse_qs(urlsplit(url).query).get("partNumber")
    return int(values[0]) if values else None


def is_created(response: Response) -> bool:
    """Matches the answer to the page's POST /file."""
    return response.url.endswith("/file") and response.request.method == "POST"


def is_part_put(s3_url: str) -> Callable[[str], bool]:
    """A route matcher for the part PUTs (UploadPart URLs) to the S3 endpoint at `s3_url`."""

    def matches(url: str) -> bool:
        return url.startswith(s3_url) and part_number(url) is not None

    return matches


@dataclass
class Traffic:
    """Every request one page sent, in order."""

    requests: list[Request] = field(default_factory=list)

    @classmethod
    def of(cls, page: Page) -> Traffic:
        traffic = cls()
        page.on("request", lambda request: traffic.requests.append(request))
        return traffic

    def api(self, method: str, path_suffix: str) -> list[Request]:
        """The API requests `method` whose path ends with `path_suffix` ("/file", "/parts")."""
        return [
            r
            for r in self.requests
            if r.method == method and urlsplit(r.url).path.endswith(path_suffix)
        ]

    def part_puts(self) -> list[Request]:
        return [r for r in self.requests if r.method == "PUT" and part_number(r.url) is not None]

    def put_part_numbers(self) -> list[int]:
        """The part number of every part PUT, sorted (a retried part appears once per attempt)."""
        return sorted(n for r in self.part_puts() if (n := part_number(r.url)) is not None)

    def signed_parts(self) -> list[dict[str, Any]]:
        """Every `{number, checksum_sha256}` the page asked POST /file/{id}/parts to sign."""
        entries: list[dict[str, Any]] = []
        for request in self.api("POST", "/parts"):
            body = request.post_data_json
            assert isinstance(body, dict), request.post_data
            entries.extend(body["parts"])
        return entries


def throttle_upload(page: Page, bytes_per_second: int) -> None:
    """Limit the page's upload bandwidth (Chromium's DevTools network emulation)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


SAVED_UPLOADS = """
() => Object.keys(localStorage)
  .filter((key) => key.startsWith("filestore.upload:"))
  .map((key) => JSON.parse(localStorage.getItem(key)))
"""


def saved_uploads(page: Page) -> list[dict[str, Any]]:
    """The multipart uploads the page keeps in localStorage to resume them."""
    saved: list[dict[str, Any]] = page.evaluate(SAVED_UPLOADS)
    return saved


# Every text FilePond's status line shows, in order (installed before a file is added).
RECORD_STATUS = """
() => {
  window.statusTexts = [];
  const record = () => {
    for (const el of document.querySelectorAll(".filepond--file-status-main")) {
      const text = el.textContent.trim();
      if (text && window.statusTexts.at(-1) !== text) window.statusTexts.push(text);
    }
  };
  new MutationObserver(record).observe(document.body, {
    subtree: true, childList: true, characterData: true,
  });
}
"""


def record_status_texts(page: Page) -> None:
    page.evaluate(RECORD_STATUS)


def status_texts(page: Page) -> list[str]:
    texts: list[str] = page.evaluate("() => window.statusTexts")
    return texts
