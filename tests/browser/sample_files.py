"""Real files for the browser tests, generated on the fly: a PNG image, a PDF and plain bytes."""

from __future__ import annotations

import math
import random
import struct
import zlib
from pathlib import Path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(width: int = 900, height: int = 300) -> bytes:
    """A valid RGB PNG of a landscape at dusk (sky gradient over rolling hills)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        t = y / height
        sky = (int(38 + 215 * t), int(42 + 110 * t), int(110 - 20 * t))
        for x in range(width):
            ridge = height * (0.62 + 0.08 * math.sin(x / width * 2 * math.pi * 1.5))
            near = height * (0.78 + 0.06 * math.sin(x / width * 2 * math.pi * 2.3 + 1))
            if y > near:
                rows += bytes((24, 38, 52))
            elif y > ridge:
                rows += bytes((52, 62, 96))
            else:
                rows += bytes(sky)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _png_chunk(b"IEND", b"")
    )


def pdf_bytes(text: str = "Filestore browser test") -> bytes:
    """A valid one-page PDF 1.4 with a correct cross-reference table."""
    stream = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)


def write_file(folder: Path, name: str, content: bytes) -> Path:
    """Write `content` to `folder/name` and return the path."""
    path = folder / name
    path.write_bytes(content)
    return path


def random_bytes(size: int, seed: int = 4) -> bytes:
    """`size` deterministic pseudo-random bytes (not a valid file of any known type)."""
    return random.Random(seed).randbytes(size)
