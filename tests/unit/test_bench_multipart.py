"""The multipart figure's words and a large upload's request count (bench/render_multipart.py)."""

from __future__ import annotations

from bench.cost_on_paper import large_upload
from bench.multipart_upload import MultipartUpload, Transfer
from bench.render_multipart import large_upload_lines, multipart_words

GIB = 1024**3
MIB = 1024**2


def _transfer(label: str, seconds: float, complete: float | None = None) -> Transfer:
    return Transfer(
        label,
        [seconds, seconds * 3],  # median of two: their mean
        base_rss_mib=100.0,
        peak_rss_mib=300.0,
        complete_s=[0.5] if complete is not None else None,
        complete_growth_mib=complete,
    )


def test_the_figure_gives_mib_per_second_ratios_and_the_completion_memory() -> None:
    figure = MultipartUpload(
        file_bytes=GIB,
        part_bytes=16 * MIB,
        parallel=4,
        local_multipart=_transfer("local multipart", 4.0, complete=2.0),  # median 8 s: 128 MiB/s
        local_single=_transfer("local single PUT", 8.0),  # median 16 s: 64 MiB/s
        moto_multipart=_transfer("moto multipart", 2.0, complete=2048.0),  # 256 MiB/s
        moto_single=_transfer("moto single PUT", 2.0),
    )

    words = multipart_words(figure)

    assert words.measured.startswith("128 MiB/s in 4 parallel parts, 2.00x one PUT (64 MiB/s)")
    assert "0.50x plain moto's multipart" in words.measured
    assert "CompleteMultipartUpload +2 MiB (moto's +2048 MiB)" in words.measured
    assert "64 parts of 16 MiB" in words.how
    assert "| local multipart | 8.00 | 128 | 100 | 300 | +200 | 0.50 s, +2 MiB | 4.00, 12.00 |" in (
        words.details
    )


def test_a_10_gib_upload_is_640_parts_of_16_mib_and_643_put_class_requests() -> None:
    large = large_upload()  # template.yaml's PartSize default: 16 MiB

    assert (large.part_size, large.part_count) == (16 * MIB, 640)
    assert (large.api_requests, large.s3_put_class, large.s3_get_class) == (642, 643, 2)
    assert any("**642**" in line for line in large_upload_lines(large))


def test_a_5_tib_upload_stays_within_10000_parts_listed_in_ten_pages() -> None:
    large = large_upload(5 * 1024 * GIB)

    assert (large.part_size, large.part_count) == (525 * MIB, 9987)
    assert large.list_pages == 10
    assert large.s3_put_class == 1 + 9987 + 10 + 1
