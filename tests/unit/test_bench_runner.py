"""The benchmark's runner: which figures run, in which order, and what each is given."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bench import runner
from bench.batch_info import BatchInfo
from bench.cost_on_paper import CostOnPaper
from bench.handler_durations import HandlerDurations
from bench.runner import FIGURES, Figure, Needs, run, select
from bench.session import Session
from bench.settings import SMOKE


@dataclass(frozen=True)
class Flow:
    files: int


@dataclass(frozen=True)
class Price:
    dollars: float


@dataclass(frozen=True)
class Size:
    bytes: int


def _broken(session: Session, needs: Needs) -> Flow:
    raise RuntimeError("moto is down")


FAKE_FIGURES = (
    Figure("Flow", Flow, lambda session, needs: Flow(3)),
    Figure("Size", Size, lambda session, needs: Size(7)),
    Figure("Price", Price, lambda session, needs: Price(needs[Flow].files * 2.5), needs=(Flow,)),
)


def test_only_a_figure_also_measures_what_it_needs_in_report_order() -> None:
    titles = [figure.title for figure in select(["cost on paper"])]
    assert titles == ["Handler durations (in-process)", "Batch info", "Cost on paper"]
    assert [figure.title for figure in select(["SIZE"])] == ["Package size"]
    assert select([]) == list(FIGURES)


def test_every_figure_comes_after_the_figures_it_needs() -> None:
    seen: set[type] = set()
    for figure in FIGURES:
        assert set(figure.needs) <= seen, figure.title
        seen.add(figure.result)
    cost = next(figure for figure in FIGURES if figure.result is CostOnPaper)
    assert cost.needs == (HandlerDurations, BatchInfo)


def test_a_figure_gets_the_results_it_declares_it_needs() -> None:
    measured = run(Session(SMOKE), FAKE_FIGURES)
    assert [(m.title, m.result) for m in measured] == [
        ("Flow", Flow(3)),
        ("Size", Size(7)),
        ("Price", Price(7.5)),
    ]
    assert all(m.failure is None and m.seconds >= 0 for m in measured)


def test_a_failed_figure_fails_the_figures_that_need_it_and_the_run_goes_on() -> None:
    figures = (Figure("Flow", Flow, _broken), *FAKE_FIGURES[1:])
    flow, size, price = run(Session(SMOKE), figures)
    assert flow.result is None and flow.failure is not None
    assert flow.failure.reason == "RuntimeError"
    assert "moto is down" in flow.failure.detail and "test_bench_runner.py" in flow.failure.detail
    assert size.result == Size(7)
    assert price.result is None and price.failure is not None
    assert price.failure.reason == "needs Flow"
    assert "could not be measured" in price.failure.detail


def test_a_result_the_figure_did_not_declare_is_refused() -> None:
    needs = Needs("Price", {Flow: Flow(3)})
    assert needs[Flow] == Flow(3)
    with pytest.raises(LookupError, match="Price does not declare that it needs Size"):
        needs[Size]


def test_a_figure_is_given_only_what_it_declares_even_when_more_was_measured() -> None:
    greedy = Figure("Greedy", Price, lambda session, needs: Price(needs[Size].bytes), (Flow,))
    *_, refused = run(Session(SMOKE), (*FAKE_FIGURES[:2], greedy))
    assert refused.result is None and refused.failure is not None
    assert "Greedy does not declare that it needs Size" in refused.failure.detail


def test_a_figure_waits_for_a_calm_machine_but_not_past_ninety_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loads = iter([3.0, 2.0, 0.5])
    monkeypatch.setattr(runner, "load_average", lambda: (next(loads), 0.0, 0.0))
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    assert runner.wait_for_calm(sleep, lambda: now[0]) == 2 * runner.CALM_POLL_SECONDS
    monkeypatch.setattr(runner, "load_average", lambda: (5.0, 0.0, 0.0))
    now[0] = 0.0
    waited = runner.wait_for_calm(sleep, lambda: now[0])
    assert runner.CALM_WAIT_SECONDS <= waited < runner.CALM_WAIT_SECONDS + runner.CALM_POLL_SECONDS
