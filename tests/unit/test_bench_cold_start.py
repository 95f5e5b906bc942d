"""The cold start figure: the order its runs take, and which vendored wheels carry compiled code
this interpreter can load."""

from __future__ import annotations

import importlib.machinery
from pathlib import Path

import pytest

from bench import cold_start
from bench.cold_start import native_wheels


def test_every_round_runs_each_module_once_in_an_order_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[str] = []
    monkeypatch.setattr(cold_start, "_wall_ms", lambda code, env: ran.append(code) or 1.0)
    codes = {f"module{index}": f"import module{index}" for index in range(6)}

    samples = cold_start._wall_samples(codes, {}, runs=4, warm_up=False)

    rounds = [ran[start : start + len(codes)] for start in range(0, len(ran), len(codes))]
    assert len(rounds) == 4 and all(sorted(order) == sorted(codes.values()) for order in rounds)
    assert len({tuple(order) for order in rounds}) > 1, "every round ran in the same order"
    assert {name: len(values) for name, values in samples.items()} == dict.fromkeys(codes, 4)


def _dist_info(ext: Path, name: str, purelib: bool, tags: list[str], files: list[str]) -> None:
    info = ext / f"{name}.dist-info"
    info.mkdir(parents=True)
    wheel = [f"Root-Is-Purelib: {'true' if purelib else 'false'}", *(f"Tag: {t}" for t in tags)]
    (info / "WHEEL").write_text("Wheel-Version: 1.0\n" + "\n".join(wheel) + "\n")
    (info / "RECORD").write_text("".join(f"{path},sha256=x,1\n" for path in files))


def test_wheels_built_for_another_platform_are_found_unloadable(tmp_path: Path) -> None:
    here = importlib.machinery.EXTENSION_SUFFIXES[0]
    _dist_info(tmp_path, "pure-1.0", True, ["py3-none-any"], ["pure/__init__.py"])
    _dist_info(
        tmp_path,
        "elsewhere-2.0",
        False,
        ["cp313-cp313-manylinux_2_17_aarch64"],
        ["elsewhere/__init__.py", "elsewhere/_speed.cpython-313-aarch64-linux-gnu.so"],
    )
    _dist_info(tmp_path, "native-3.0", False, ["cp3-here"], [f"native/_speed{here}"])
    wheels = {wheel.name: wheel for wheel in native_wheels(tmp_path, {here})}
    assert sorted(wheels) == ["elsewhere-2.0", "native-3.0"]
    assert wheels["elsewhere-2.0"].tags == ["cp313-cp313-manylinux_2_17_aarch64"]
    assert not wheels["elsewhere-2.0"].loadable
    assert wheels["native-3.0"].loadable
