"""Multipart plans: each part's size and count, and whether S3 holds exactly the planned parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

MIB = 1024**2
MAX_PARTS = 10_000  # S3: part numbers 1..10,000
MAX_NAMED_PROBLEMS = 10  # a 409 names this many missing or mis-sized parts, then counts the rest


class PartPlan(NamedTuple):
    """How a file of ``size`` bytes is cut: parts of ``part_size`` bytes, the last one shorter."""

    size: int
    part_size: int

    @property
    def part_count(self) -> int:
        return -(-self.size // self.part_size)

    def part_length(self, number: int) -> int:
        """The exact byte count of part ``number`` (1-based), which its URL signs."""
        if not 1 <= number <= self.part_count:
            raise ValueError(f"part {number} is outside 1..{self.part_count}")
        return min(self.part_size, self.size - (number - 1) * self.part_size)


class HeldPart(NamedTuple):
    """One part S3 holds (ListParts): its number, size, ETag and SHA-256 (base64)."""

    number: int
    size: int
    etag: str
    checksum_sha256: str | None


def plan_parts(size: int, part_size: int) -> PartPlan:
    """Parts of max(``part_size``, ceil(size / 10,000)) rounded up to a whole MiB.

    With ``part_size`` in 5 MiB..5 GiB and ``size`` at most 5 TiB, no plan needs more than 10,000
    parts and no part holds more than 5 GiB (5 TiB / 10,000 rounds up to 525 MiB).
    """
    wanted = max(part_size, -(-size // MAX_PARTS))
    return PartPlan(size=size, part_size=-(-wanted // MIB) * MIB)


def completion_problems(plan: PartPlan, held: Sequence[HeldPart]) -> list[str]:
    """What keeps S3's parts from making the planned file: missing parts, sizes that differ."""
    by_number = {part.number: part for part in held}
    missing = [n for n in range(1, plan.part_count + 1) if n not in by_number]
    problems: list[str] = []
    if missing:
        named = ", ".join(str(number) for number in missing[:MAX_NAMED_PROBLEMS])
        more = len(missing) - MAX_NAMED_PROBLEMS
        rest = f" and {more} more" if more > 0 else ""
        word = "part" if len(missing) == 1 else "parts"
        problems.append(f"{word} {named}{rest} of {plan.part_count} missing")
    for number in sorted(by_number):
        size = by_number[number].size
        if number > plan.part_count:
            problems.append(f"part {number} is beyond the plan's {plan.part_count} parts")
        elif size != plan.part_length(number):
            expected = plan.part_length(number)
            difference = size - expected
            problems.append(
                f"part {number} holds {size} bytes, {abs(difference)} "
                f"{'more' if difference > 0 else 'fewer'} than the planned {expected}"
            )
    return problems[: MAX_NAMED_PROBLEMS + 1]
