"""Small real files of each kind the content check must tell apart, built byte by byte."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png() -> bytes:
    """A valid 1x1 RGB PNG."""
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + _png_chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """The start of a JFIF JPEG: SOI, the APP0 segment, then a comment segment."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xfe\x00\x06test" + b"\xff\xd9"


def gif() -> bytes:
    """A valid 1x1 transparent GIF89a."""
    return (
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00"
        b"!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )


def webp() -> bytes:
    """A 1x1 lossless WebP: a RIFF container holding a VP8L chunk."""
    chunk = b"VP8L" + struct.pack("<I", 10) + b"\x2f\x00\x00\x00\x00\x07\x10\x11\x11\x88"
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def pdf() -> bytes:
    """The start of a PDF 1.7 file with its binary comment line."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"


def _zip(entries: list[tuple[str, str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries:
            archive.writestr(name, text)
    return buffer.getvalue()


def zip_archive() -> bytes:
    """A ZIP archive of one text file."""
    return _zip([("notes.txt", "hello\n")])


def docx() -> bytes:
    """A Word document's ZIP layout: the content types first, as Word writes them."""
    return _zip(
        [
            ("[Content_Types].xml", "<Types/>"),
            ("_rels/.rels", "<Relationships/>"),
            ("word/document.xml", "<w:document/>"),
        ]
    )


def elf() -> bytes:
    """A 64-bit little-endian ELF executable header (aarch64)."""
    ident = b"\x7fELF\x02\x01\x01\x00" + bytes(8)
    return ident + struct.pack("<HHI", 2, 183, 1) + bytes(48)


def pe() -> bytes:
    """A Windows PE executable's DOS header pointing at its "PE" signature."""
    dos = b"MZ" + bytes(58) + struct.pack("<I", 64)
    return dos + b"PE\x00\x00" + struct.pack("<HH", 0x8664, 1) + bytes(64)


def html() -> bytes:
    """An HTML page with a script."""
    return b"<!DOCTYPE html>\n<html><head><title>hi</title></head><body><script>alert(1)</script>\n"


def svg(*, script: bool = False) -> bytes:
    """An SVG image, with an embedded script when asked."""
    inner = b"<script>alert(document.domain)</script>" if script else b'<rect width="1"/>'
    return b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg">' + inner + b"</svg>\n"


def plain_text() -> bytes:
    return b"Meeting notes\n- ship the content check\n"


def csv() -> bytes:
    return b"name,size,type\nreport.pdf,1024,application/pdf\n"


def zeros(size: int = 64) -> bytes:
    """An empty-looking file: nothing but NUL bytes."""
    return bytes(size)
