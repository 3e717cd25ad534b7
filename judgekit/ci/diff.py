"""Compare two runs over the same items, item by item (`judgekit diff BEFORE AFTER`).

Each item gets a value in each run: its score (pointwise) or the candidate A's credit
(pairwise: a win 1, a tie 1/2, a loss 0, as in the win rate). An item "got worse" when its
value dropped. Items without a verdict in either run (unscored, failed, not judged) are left
out of the comparison and counted. The change is tested with a paired test (Wilcoxon
signed-rank for scores, the sign test for pairwise outcomes; see `stats.paired`), and can be
gated with `--max-regression`: the largest allowed drop of the mean per-item value, in the
metric's own units (win-rate fraction for pairwise runs, score points for pointwise runs).

Scores are compared only on one scale: two pointwise runs whose templates score on different
scales (1-10 against 1-5, or a pass/fail 0/1 against either) are refused, since a drop from 7
to 4 would then say nothing. `rescale=True` (`--rescale`) is the explicit way to compare them:
each run's scores are mapped onto 0-1 with its own template's scale, (score - low) / (high - low),
and the change and `--max-regression` are then fractions of the scale.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from judgekit.ci.gates import DEFAULT_MIN_ITEMS, Checker, CiBound, GateResult, check_min_items
from judgekit.ci.passrule import RunFacts
from judgekit.ci.provenance import comparison_warnings
from judgekit.ci.runview import RunView
from judgekit.errors import InputError, UsageError
from judgekit.metrics.items import ItemOutcome
from judgekit.stats.agreement import OUTCOME_VALUE
from judgekit.stats.intervals import Estimate
from judgekit.stats.paired import PairedTest, sign_test, wilcoxon_test


class ItemChange(BaseModel):
    """One item's value in both runs."""

    id: str
    before: str
    """The verdict or score in the first run ("A", "tie", "B", "7", or unscored / error / pending)."""
    after: str
    change: float | None
    """after - before in the metric's units; None when either run has no verdict."""
    question: str


class RunDiff(BaseModel):
    """The item-by-item comparison of two runs."""

    before: str
    after: str
    kind: str
    metric: str
    before_metric: Estimate | None
    """The first run's headline metric as its summary reports it (over its own scored items)."""
    after_metric: Estimate | None
    rescaled: bool = False
    """Scores were mapped onto 0-1 with each run's own scale (--rescale)."""
    test: PairedTest
    """The paired test over the items scored in both runs."""
    worse: list[ItemChange] = Field(default_factory=list)
    """Items whose value dropped, largest drop first."""
    better: list[ItemChange] = Field(default_factory=list)
    not_compared: list[ItemChange] = Field(default_factory=list)
    """Items without a verdict in one run or both."""
    gate: GateResult | None = None
    warnings: list[str] = Field(default_factory=list)


Scale = tuple[float, float]


def _value(kind: str, outcome: ItemOutcome, scale: Scale | None) -> float | None:
    if outcome.status != "ok":
        return None
    if kind == "pairwise":
        return OUTCOME_VALUE[outcome.verdict] if outcome.verdict is not None else None
    if outcome.score is None or scale is None:
        return outcome.score
    return (outcome.score - scale[0]) / (scale[1] - scale[0])


def _scales(before: RunView, after: RunView, rescale: bool) -> tuple[Scale | None, Scale | None]:
    """The scale each run's scores are mapped from (None: compared as they are); refuses runs
    on different scales unless told to rescale them."""
    if before.kind != after.kind:
        raise InputError(
            f"{before.path} is a {before.kind} run and {after.path} a {after.kind} run; diff needs one kind "
            "(a win rate and a mean score cannot be put on one scale)"
        )
    if before.kind == "listwise":
        raise UsageError(
            "diff compares pairwise win rates or pointwise scores; for listwise runs compare the pick rates "
            "of `judgekit report` on each, or judge both with `judgekit compare`"
        )
    if before.kind == "pairwise":
        if rescale:
            raise UsageError("--rescale applies to pointwise runs; pairwise runs compare win rates, already 0 to 1")
        return None, None
    facts = [RunFacts.of(view.manifest) for view in (before, after)]
    scales = [fact.scale for fact in facts]
    if rescale:
        for view, fact, scale in zip((before, after), facts, scales, strict=True):
            if scale is None or not scale[1] > scale[0]:
                raise UsageError(f"--rescale: {view.path} (template {fact.template}) declares no score scale to map")
        return scales[0], scales[1]
    if scales[0] != scales[1]:
        shown = [_scale_text(fact, scale) for fact, scale in zip(facts, scales, strict=True)]
        raise InputError(
            f"{before.path} scores {shown[0]} and {after.path} {shown[1]}: a change in mean score would mix "
            "scales; pass --rescale to compare both on 0-1 (each with its own scale)"
        )
    return None, None


def _scale_text(facts: RunFacts, scale: Scale | None) -> str:
    where = f"(template {facts.template})"
    return f"on no declared scale {where}" if scale is None else f"{scale[0]:g}-{scale[1]:g} {where}"


def _rescaled(estimate: Estimate | None, scale: Scale | None) -> Estimate | None:
    if estimate is None or scale is None:
        return estimate
    low, span = scale[0], scale[1] - scale[0]

    def unit(value: float | None) -> float | None:
        return None if value is None else (value - low) / span

    return estimate.model_copy(
        update={"value": (estimate.value - low) / span, "low": unit(estimate.low), "high": unit(estimate.high)}
    )


def _shown(kind: str, outcome: ItemOutcome) -> str:
    if outcome.status != "ok":
        return outcome.status
    if kind == "pairwise":
        return str(outcome.verdict)
    return f"{outcome.score:g}" if outcome.score is not None else "?"


def compare(
    before: RunView,
    after: RunView,
    *,
    max_regression: float | None = None,
    on_ci_bound: CiBound = "none",
    min_items: int = DEFAULT_MIN_ITEMS,
    rescale: bool = False,
) -> RunDiff:
    """Compare `after` with `before`; raises InputError when they are not over the same items
    or (unless `rescale`) score on different scales."""
    before_scale, after_scale = _scales(before, after, rescale)
    _check_same_items(before, after)
    _check_max_regression(max_regression, before.kind, rescale)
    check_min_items(min_items)
    kind = before.kind
    changes, paired, questions_differ = _item_changes(before, after, before_scale, after_scale)
    test_of = sign_test if kind == "pairwise" else wilcoxon_test
    test = test_of([a for a, _ in paired], [b for _, b in paired], resamples=before.resamples, seed=before.seed)
    metric = "win rate of A" if kind == "pairwise" else "mean score on 0-1" if rescale else "mean score"
    warnings = comparison_warnings(before, after)
    if questions_differ:
        warnings.append(f"{questions_differ} items with the same id have different questions in the two runs")
    gate = None
    if max_regression is not None:
        gate = Checker(on_ci_bound, min_items)(
            "--max-regression",
            f"drop in {metric}",
            "max",
            max_regression,
            _drop(test.change),
            percent=kind == "pairwise" or rescale,
        )
    return RunDiff(
        before=str(before.path),
        after=str(after.path),
        kind=kind,
        metric=metric,
        before_metric=_rescaled(_headline(before), before_scale),
        after_metric=_rescaled(_headline(after), after_scale),
        rescaled=rescale,
        test=test,
        worse=sorted((c for c in changes if c.change is not None and c.change < 0), key=lambda c: (c.change, c.id)),
        better=sorted(
            (c for c in changes if c.change is not None and c.change > 0), key=lambda c: (-(c.change or 0), c.id)
        ),
        not_compared=[c for c in changes if c.change is None],
        gate=gate,
        warnings=warnings,
    )


def _check_max_regression(max_regression: float | None, kind: str, rescale: bool) -> None:
    """Refuse a --max-regression that is negative (or NaN), or above 1 where the metric is a fraction."""
    if max_regression is not None and not max_regression >= 0:  # also refuses NaN
        raise UsageError(f"--max-regression {max_regression:g}: give the largest allowed drop, 0 or more")
    if max_regression is not None and (kind == "pairwise" or rescale) and max_regression > 1:
        what = "a win-rate drop" if kind == "pairwise" else "with --rescale, a drop"
        raise UsageError(f"--max-regression {max_regression:g}: {what} is a fraction from 0 to 1")


def _item_changes(
    before: RunView, after: RunView, before_scale: Scale | None, after_scale: Scale | None
) -> tuple[list[ItemChange], list[tuple[float, float]], int]:
    """Each item's change, the (before, after) values of the items with a verdict in both runs,
    and how many items carry the same id but a different question."""
    kind = before.kind
    after_outcomes = {item.id: outcome for item, outcome in zip(after.items, after.outcomes, strict=True)}
    after_items = {item.id: item for item in after.items}
    changes: list[ItemChange] = []
    paired: list[tuple[float, float]] = []
    questions_differ = 0
    for item, first in zip(before.items, before.outcomes, strict=True):
        second = after_outcomes[item.id]
        if after_items[item.id].turns != item.turns:
            questions_differ += 1
        a, b = _value(kind, first, before_scale), _value(kind, second, after_scale)
        change = None if a is None or b is None else b - a
        if a is not None and b is not None:
            paired.append((a, b))
        changes.append(
            ItemChange(
                id=item.id,
                before=_shown(kind, first),
                after=_shown(kind, second),
                change=change,
                question=item.question,
            )
        )
    return changes, paired, questions_differ


def _drop(change: Estimate | None) -> Estimate | None:
    """The paired change turned into a drop (its negation, the interval flipped)."""
    if change is None:
        return None
    # 0.0 - x rather than -x, so that no change reads 0.000 and not -0.000.
    return Estimate(
        value=0.0 - change.value,
        low=None if change.high is None else 0.0 - change.high,
        high=None if change.low is None else 0.0 - change.low,
        n=change.n,
        interval=change.interval,
        no_interval=change.no_interval,
    )


def _headline(view: RunView) -> Estimate | None:
    summary = view.summary
    if summary.pairwise is not None:
        return summary.pairwise.win_rate
    return summary.pointwise.mean if summary.pointwise is not None else None


def _check_same_items(before: RunView, after: RunView) -> None:
    first = {item.id for item in before.items}
    second = {item.id for item in after.items}
    for lacking, having, extra in ((after, before, first - second), (before, after, second - first)):
        if extra:
            raise InputError(
                f"{lacking.path} lacks {len(extra)} of the items of {having.path} (e.g. id {sorted(extra)[0]!r}); "
                "diff compares two runs over the same items"
            )
