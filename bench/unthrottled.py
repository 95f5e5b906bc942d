"""A project root whose template.yaml has the API throttle lifted, for measuring capacity."""

from __future__ import annotations

import re
from pathlib import Path

from bench.results import REPO_ROOT

LIFTED_LIMIT = 1_000_000
_LIMIT = re.compile(
    r"^(\s*(?:ThrottlingRateLimit|ThrottlingBurstLimit|RateLimit|BurstLimit):\s*)\d+\s*$",
    re.MULTILINE,
)
_LINKED = ("source", "api", "static")


def throttle_limits(template_text: str) -> list[str]:
    """The throttle settings of a template, as ``Name: value`` lines."""
    return [match.group(0).strip() for match in _LIMIT.finditer(template_text)]


def unthrottled_project(root: Path) -> Path:
    """Fill ``root`` with a copy of the template whose only change is lifted throttle limits."""
    text = (REPO_ROOT / "template.yaml").read_text(encoding="utf-8")
    lifted, count = _LIMIT.subn(rf"\g<1>{LIFTED_LIMIT}", text)
    if count == 0:
        raise RuntimeError("template.yaml has no throttle limits to lift")
    (root / "template.yaml").write_text(lifted, encoding="utf-8")
    for name in _LINKED:
        (root / name).symlink_to(REPO_ROOT / name, target_is_directory=True)
    return root
