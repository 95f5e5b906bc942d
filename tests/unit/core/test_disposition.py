"""RFC 6266 Content-Disposition values: safe ASCII fallback plus the exact UTF-8 name."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest

from filestore.disposition import ascii_fallback, attachment

HEADER = re.compile(
    r"attachment; filename=\"([\x20-\x7e]*)\"; filename\*=UTF-8''([A-Za-z0-9%!#$&+.^_`|~-]*)"
)


def parsed_filename(value: str) -> str:
    """What an RFC 6266 client takes as the file name: ``filename*`` wins over ``filename``."""
    match = HEADER.fullmatch(value)
    assert match is not None, value
    return unquote(match.group(2), encoding="utf-8", errors="strict")


def test_quotes_and_accents_get_an_ascii_fallback_and_an_exact_utf8_name() -> None:
    value = attachment('résumé "final".pdf')

    assert value == (
        'attachment; filename="resume _final_.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
    )
    assert parsed_filename(value) == 'résumé "final".pdf'


def test_cr_lf_cannot_inject_a_header() -> None:
    value = attachment("a\r\nb.txt")

    assert "\r" not in value and "\n" not in value
    assert value == "attachment; filename=\"a__b.txt\"; filename*=UTF-8''a%0D%0Ab.txt"


@pytest.mark.parametrize(
    "name",
    [
        'x"; filename="evil.exe',
        "back\\slash\\.txt",
        "semi;colon, comma.txt",
        "tab\there\x00nul\x7fdel.txt",
        "emoji 📄 文件.pdf",
        "100% sure.txt",
        "",
        "\u0301\u0301",
    ],
)
def test_no_name_breaks_out_of_the_header(name: str) -> None:
    value = attachment(name)

    match = HEADER.fullmatch(value)
    assert match is not None, value
    fallback = match.group(1)
    assert '"' not in fallback and "\\" not in fallback
    assert parsed_filename(value) == name
    assert value.count(";") == 2


def test_fallback_is_never_empty() -> None:
    assert ascii_fallback("") == "download"
    assert ascii_fallback("文件") == "__"


def test_plain_ascii_names_stay_as_they_are() -> None:
    assert attachment("report-2026_v1.pdf") == (
        "attachment; filename=\"report-2026_v1.pdf\"; filename*=UTF-8''report-2026_v1.pdf"
    )
