"""The content check on real file signatures, against allowed and refused type lists."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from filestore.content import (
    check_content,
    content_is_checked,
    detect,
    signed_types,
)
from tests.helpers import signatures

IMAGES = ("image/*",)
DOCUMENTS = ("application/pdf", "text/plain", "text/csv")
TEXT = ("text/*",)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.mark.parametrize(
    ("sample", "declared", "allowed"),
    [
        (signatures.png, "image/png", IMAGES),
        (signatures.jpeg, "image/jpeg", IMAGES),
        (signatures.jpeg, "image/jpg", ("image/jpg",)),  # an alias browsers send
        (signatures.gif, "image/gif", IMAGES),
        (signatures.webp, "image/webp", IMAGES),
        (signatures.svg, "image/svg+xml", IMAGES),
        (signatures.pdf, "application/pdf", DOCUMENTS),
        (signatures.pdf, "application/octet-stream", ("application/*",)),
        (signatures.zip_archive, "application/zip", ("application/zip",)),
        (signatures.zip_archive, "application/x-zip-compressed", ("application/*",)),
        (signatures.docx, DOCX, (DOCX,)),
        (signatures.docx, "application/zip", ("application/zip",)),  # a .docx is a ZIP
        (signatures.zip_archive, DOCX, (DOCX,)),  # its entries may lie past the head
        (signatures.elf, "application/x-executable", ("application/*",)),
        (signatures.pe, "application/x-msdownload", ("application/x-msdownload",)),
        (signatures.plain_text, "text/plain", DOCUMENTS),
        (signatures.csv, "text/csv", DOCUMENTS),
        (signatures.csv, "text/csv; charset=utf-8", TEXT),
        (signatures.html, "text/html", TEXT),
        (signatures.html, "text/plain", TEXT),  # text/* allows what it is, text/html
        (signatures.zeros, "application/octet-stream", ("application/octet-stream",)),
        (lambda: b"", "text/plain", TEXT),
    ],
)
def test_content_that_fits_its_type_passes(
    sample: Callable[[], bytes], declared: str, allowed: tuple[str, ...]
) -> None:
    verdict = check_content(declared, sample(), allowed)

    assert verdict.passed, verdict.rejected
    assert verdict.rejected is None


@pytest.mark.parametrize(
    ("sample", "declared", "allowed", "reason"),
    [
        (signatures.html, "image/png", IMAGES, "content is text/html, not image/png"),
        (signatures.pe, "image/png", IMAGES, "content is application/x-msdownload, not image/png"),
        (signatures.elf, "image/gif", IMAGES, "content is application/x-executable, not image/gif"),
        (signatures.pe, "text/plain", TEXT, "content is application/x-msdownload, not text/plain"),
        (signatures.zip_archive, "text/plain", TEXT, "content is application/zip, not text/plain"),
        (signatures.pdf, "image/jpeg", IMAGES, "content is application/pdf, not image/jpeg"),
        (signatures.gif, "image/png", IMAGES, "content is image/gif, not image/png"),
        (signatures.png, "image/svg+xml", IMAGES, "content is image/png, not image/svg+xml"),
        (
            signatures.jpeg,
            "application/pdf",
            DOCUMENTS,
            "content is image/jpeg, not application/pdf",
        ),
        (signatures.webp, "text/csv", DOCUMENTS, "content is image/webp, not text/csv"),
        (signatures.svg, "image/png", IMAGES, "content is image/svg+xml, not image/png"),
        (
            lambda: signatures.svg(script=True),
            "image/svg+xml",
            IMAGES,
            "content is image/svg+xml with a script",
        ),
        (signatures.plain_text, "image/png", IMAGES, "content is text/plain, not image/png"),
        (
            signatures.csv,
            "application/pdf",
            DOCUMENTS,
            "content is text/plain, not application/pdf",
        ),
        (
            signatures.zeros,
            "image/png",
            IMAGES,
            "content is application/octet-stream, not image/png",
        ),
        (
            signatures.zeros,
            "text/plain",
            TEXT,
            "content is application/octet-stream, not text/plain",
        ),
        (lambda: b"", "image/png", IMAGES, "content is empty, not image/png"),
        (signatures.html, "text/plain", ("text/plain",), "content is text/html, not text/plain"),
        (signatures.png, "image/png", DOCUMENTS, "type image/png is not allowed"),
    ],
)
def test_content_that_does_not_fit_is_rejected_with_a_reason(
    sample: Callable[[], bytes], declared: str, allowed: tuple[str, ...], reason: str
) -> None:
    verdict = check_content(declared, sample(), allowed)

    assert verdict.rejected == reason
    assert not verdict.passed


def test_a_special_case_is_judged_by_its_own_type_too() -> None:
    # A .docx declared as a ZIP is a ZIP; where only images and PDFs are allowed it is neither.
    verdict = check_content("application/zip", signatures.docx(), ("image/*", "application/pdf"))

    assert verdict.rejected == "type application/zip is not allowed"
    assert check_content("application/zip", signatures.docx(), ("application/zip",)).passed


@pytest.mark.parametrize(
    ("allowed", "checked"),
    [(("*",), False), (("*/*",), False), (("image/*", "*"), False), (("image/*",), True)],
)
def test_content_is_read_only_when_allowed_types_limit_something(
    allowed: tuple[str, ...], checked: bool
) -> None:
    assert content_is_checked(allowed) is checked


@pytest.mark.parametrize(
    "mime_type",
    [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/svg+xml",
        "application/pdf",
        "application/zip",
        DOCX,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/x-executable",
        "application/x-msdownload",
        "audio/mpeg",
        "video/mp4",
    ],
)
def test_the_listed_formats_have_a_signature_that_must_be_present(mime_type: str) -> None:
    assert mime_type in signed_types()


@pytest.mark.parametrize("mime_type", ["text/plain", "text/csv", "text/html", "application/json"])
def test_types_without_a_signature_are_not_held_to_one(mime_type: str) -> None:
    assert mime_type not in signed_types()


@pytest.mark.parametrize(
    "head",
    [
        b"\xef\xbb\xbf  <HTML lang=en>",
        b"\n\t<body>",
        b"<!-- a comment -->",
        b"<p>hello</p>",
    ],
)
def test_html_is_recognised_by_the_whatwg_start_tags(head: bytes) -> None:
    found = detect(head)

    assert found is not None and found.mime == "text/html"


@pytest.mark.parametrize(
    "head",
    [
        b'<svg onload="alert(1)" xmlns="http://www.w3.org/2000/svg"/>',
        b'<svg><a href="javascript:alert(1)">x</a></svg>',
        b"<!-- logo --><svg><SCRIPT>x()</SCRIPT></svg>",
    ],
)
def test_every_way_an_svg_runs_code_counts_as_a_script(head: bytes) -> None:
    found = detect(head)

    assert found is not None and found.scripted


def test_text_with_a_unicode_byte_order_mark_is_text_despite_its_nul_bytes() -> None:
    utf16 = "name,size\n".encode("utf-16")

    assert check_content("text/csv", utf16, TEXT).passed
