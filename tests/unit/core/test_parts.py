"""Part plans: the size and count of parts, at and around every limit S3 sets."""

from __future__ import annotations

import pytest

from filestore.parts import MAX_PARTS, MIB, HeldPart, PartPlan, completion_problems, plan_parts

PART_SIZE = 16 * MIB
TIB = 1024**4
GIB = 1024**3


def held(plan: PartPlan, *numbers: int) -> list[HeldPart]:
    return [HeldPart(n, plan.part_length(n), f'"{n}"', None) for n in numbers]


def test_a_file_of_one_part_size_is_one_part() -> None:
    plan = plan_parts(PART_SIZE, PART_SIZE)

    assert (plan.part_size, plan.part_count, plan.part_length(1)) == (PART_SIZE, 1, PART_SIZE)


def test_the_last_part_holds_the_rest() -> None:
    plan = plan_parts(2 * PART_SIZE + 5, PART_SIZE)

    assert plan.part_count == 3
    assert [plan.part_length(n) for n in (1, 2, 3)] == [PART_SIZE, PART_SIZE, 5]


def test_exactly_ten_thousand_parts_keep_the_configured_part_size() -> None:
    plan = plan_parts(MAX_PARTS * PART_SIZE, PART_SIZE)

    assert (plan.part_size, plan.part_count) == (PART_SIZE, MAX_PARTS)


def test_one_byte_more_than_ten_thousand_parts_grows_the_part_by_a_mib() -> None:
    plan = plan_parts(MAX_PARTS * PART_SIZE + 1, PART_SIZE)

    assert plan.part_size == PART_SIZE + MIB
    assert plan.part_count <= MAX_PARTS


def test_five_tebibytes_fit_in_ten_thousand_parts_of_whole_mebibytes() -> None:
    plan = plan_parts(5 * TIB, 5 * MIB)

    assert plan.part_size == 525 * MIB  # ceil(5 TiB / 10,000) rounded up to a MiB
    assert plan.part_count == 9987
    assert plan.part_length(plan.part_count) == 5 * TIB - 9986 * 525 * MIB


@pytest.mark.parametrize("part_size", [5 * MIB, 16 * MIB, 5 * GIB - 1, 5 * GIB])
@pytest.mark.parametrize("size", [1, 5 * MIB, 10 * GIB + 7, 5 * TIB])
def test_no_plan_breaks_an_s3_limit(size: int, part_size: int) -> None:
    plan = plan_parts(size, part_size)

    assert plan.part_count <= MAX_PARTS
    assert plan.part_size <= 5 * GIB
    assert plan.part_size % MIB == 0
    assert sum(plan.part_length(n) for n in (1, plan.part_count)) <= 2 * plan.part_size
    assert (plan.part_count - 1) * plan.part_size + plan.part_length(plan.part_count) == size


def test_a_part_beyond_the_plan_has_no_length() -> None:
    with pytest.raises(ValueError, match=r"outside 1\.\.2"):
        plan_parts(PART_SIZE + 1, PART_SIZE).part_length(3)


def test_every_planned_part_at_its_size_completes() -> None:
    plan = plan_parts(3 * PART_SIZE - 1, PART_SIZE)

    assert completion_problems(plan, held(plan, 3, 1, 2)) == []


def test_missing_parts_are_named() -> None:
    plan = plan_parts(3 * PART_SIZE, PART_SIZE)

    assert completion_problems(plan, held(plan, 2)) == ["parts 1, 3 of 3 missing"]


def test_many_missing_parts_are_named_then_counted() -> None:
    plan = plan_parts(25 * PART_SIZE, PART_SIZE)

    (problem,) = completion_problems(plan, [])
    assert problem == "parts 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 15 more of 25 missing"


def test_a_part_of_another_size_is_named_with_the_difference() -> None:
    plan = plan_parts(2 * PART_SIZE, PART_SIZE)
    short = HeldPart(2, PART_SIZE - 10, '"2"', None)

    assert completion_problems(plan, [*held(plan, 1), short]) == [
        f"part 2 holds {PART_SIZE - 10} bytes, 10 fewer than the planned {PART_SIZE}"
    ]
