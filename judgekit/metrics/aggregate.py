"""From judgment rows to item outcomes to the run's metrics.

This needs nothing but the run directory's items and judgments, so `judgekit report` can
rebuild a summary (with a newer parser or statistic) without a single model call.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from judgekit.choices import DEFAULT_SWAP_BELOW
from judgekit.metrics import distribution
from judgekit.metrics.adaptive import adaptive_info, adaptive_rule
from judgekit.metrics.confidence import confidence_info
from judgekit.metrics.graded import comparison_credits, graded_metrics
from judgekit.metrics.items import SWAP_CALLS, ItemFacts, ItemOutcome, item_outcome, judge_rows_by_item
from judgekit.metrics.orders import ORDER_RULES, combine_orders
from judgekit.schema import Item, Judgment
from judgekit.stats import agreement as pairwise_stats
from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, mean_estimate
from judgekit.stats.proportions import share
from judgekit.summary import (
    AdaptiveInfo,
    BiasMetrics,
    ChecklistMetrics,
    ConfidenceInfo,
    Counts,
    HumanAgreement,
    HumanAnchored,
    HumanCorrelation,
    OrderAccuracy,
    PairwiseMetrics,
    PointwiseMetrics,
)

__all__ = ["ORDER_RULES", "Aggregation", "ItemFacts", "ItemOutcome", "aggregate", "combine_orders", "item_outcome"]


@dataclass
class Aggregation:
    """Metrics of a run, ready to be placed in a Summary."""

    kind: str
    counts: Counts
    pairwise: PairwiseMetrics | None
    pointwise: PointwiseMetrics | None
    bias: BiasMetrics | None
    human: HumanAgreement | HumanCorrelation | None
    outcomes: list[ItemOutcome]
    failed_items: list[str]
    unscored_items: list[str]
    orders: OrderAccuracy | None = None
    """--positions swap with human labels: accuracy in each order (see `order_effects`)."""
    leaderboard: Any = None
    """A `leaderboard.Leaderboard` when pairwise data compares three or more systems."""
    models: set[str] = field(default_factory=set)
    """Every model named by the items (for the self-preference warning)."""
    human_anchored: HumanAnchored | None = None
    """Judge-only, human-only and PPI++ estimates, when some scored items carry human references."""
    confidence: ConfidenceInfo | None = None
    adaptive: AdaptiveInfo | None = None
    checklist: ChecklistMetrics | None = None
    """Checklist grading: per-criterion pass rates and agreement, the mean checklist score."""
    listwise: Any = None
    """A `stats.picks.ListwiseMetrics` for a listwise (best-of-N) run."""


def aggregate(
    items: Iterable[Item],
    rows: Iterable[Judgment],
    *,
    scale: tuple[float, float] | None = None,
    choices: Mapping[str, float] | None = None,
    method: str | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    group_by: str | None = None,
    level: str | None = None,
    renamed: Mapping[str, str] | None = None,
    positions: str | None = None,
    disagreement: str | None = None,
    labels_are_random: bool = False,
    swap_below: float = DEFAULT_SWAP_BELOW,
    swap_audit: float = 0.0,
    checklist_calls: str | None = None,
    strong_weight: float | None = None,
) -> Aggregation:
    """Combine rows per item and compute every metric that applies to the run.

    `choices` are a choice template's verdict values (label -> score): the score distribution is
    counted per choice, and a pass/fail template gets a pass rate. `group_by` and `level` choose
    how pointwise scores are correlated with human scores (see `levels`); `renamed` maps data
    columns renamed by --field to their canonical names; `positions` is the run's answer order
    (for the bias figures) and `disagreement` the rule for swapped orders that disagree
    (ORDER_RULES); `labels_are_random` skips the check that human labels were not obviously
    selected (see `human_anchored`); `swap_below` is the confidence threshold (of --positions adaptive,
    and of the summary's share of unsure verdicts) and `swap_audit` adaptive's audit share;
    `checklist_calls` (each or all) marks a checklist run;
    `strong_weight`, given only for a graded template, is the votes a strong preference counts for
    (see `graded`).
    """
    from judgekit.metrics.human_anchored import human_anchored

    facts = [ItemFacts.of(item) for item in items]
    by_item, judge_rows = _judge_rows(facts, rows)
    adaptive = positions == "adaptive"
    rule = adaptive_rule(positions, swap_below, swap_audit, seed)
    outcomes = [item_outcome(fact, by_item.get(fact.id, {}), disagreement, rule) for fact in facts]
    counts = _counts(outcomes)
    swapped_adaptively = adaptive and any(row.call in SWAP_CALLS for row in judge_rows)
    kind = facts[0].kind if facts else "pointwise"
    options = {"resamples": resamples, "seed": seed}
    pairwise = pointwise = None
    bias = None
    human: HumanAgreement | HumanCorrelation | None = None
    board = None
    orders = None
    checklist = None
    listwise = None
    if kind == "listwise":
        from judgekit.metrics.listwise import listwise_metrics

        listwise = listwise_metrics(facts, outcomes, judge_rows)
    elif kind == "pairwise":
        from judgekit.metrics.bias import bias_metrics
        from judgekit.metrics.order_effects import order_accuracy

        pairwise = _pairwise(facts, outcomes, options, strong_weight)
        swapped = any(outcome.flipped is not None for outcome in outcomes) or any(
            row.call in SWAP_CALLS for row in judge_rows
        )
        if swapped:
            pairwise.combine = disagreement or "mean where both orders carry probabilities, else tie"
            # Under adaptive the items judged in both orders are the unsure ones: no per-order accuracy.
            orders = None if adaptive else order_accuracy(facts, judge_rows, rule=disagreement)
        bias = bias_metrics(facts, outcomes, judge_rows, positions)
        human = human_agreement(facts, outcomes, options)
        board = _leaderboard(facts, outcomes, options, strong_weight)
    else:
        from judgekit.metrics import levels

        if checklist_calls is not None:  # item scores are shares of the points: no choices, scale 0-1
            scale, choices = (0.0, 1.0), None
            from judgekit.metrics.checklist import checklist_section

            checklist = checklist_section(checklist_calls, facts, by_item, outcomes, options)
        chosen = levels.resolve_level(level, group_by)
        human = levels.human_correlation(
            facts, outcomes, level=chosen, group_by=group_by, renamed=renamed, options=options
        )
        pointwise = _pointwise(facts, outcomes, scale, method, options, choices)
        if checklist is not None:  # the run's score is HealthBench's clipped mean (gates, reports, compare)
            scores = [outcome.score for outcome in outcomes if outcome.score is not None]
            pointwise.distribution, pointwise.distribution_bins = distribution.fraction_bins(scores)
            pointwise.mean = checklist.score
    return Aggregation(
        kind=kind,
        counts=counts,
        pairwise=pairwise,
        pointwise=pointwise,
        bias=bias,
        human=human,
        outcomes=outcomes,
        failed_items=[o.item_id for o in outcomes if o.status == "error"][:100],
        unscored_items=[o.item_id for o in outcomes if o.status == "unscored"][:100],
        leaderboard=board,
        orders=orders,
        models={
            name for fact in facts for name in (fact.model, fact.model_a, fact.model_b, *(fact.models or ())) if name
        },
        human_anchored=human_anchored(facts, outcomes, labels_are_random=labels_are_random),
        confidence=confidence_info(outcomes, swap_below),
        adaptive=adaptive_info((by_item.get(f.id, {}) for f in facts), outcomes, rule)
        if swapped_adaptively and rule is not None
        else None,
        checklist=checklist,
        listwise=listwise,
    )


def _judge_rows(
    facts: list[ItemFacts], rows: Iterable[Judgment]
) -> tuple[dict[str, dict[str, Judgment]], list[Judgment]]:
    """The latest judge row per item and call, and every judge row in item order."""
    by_item = judge_rows_by_item(rows)
    judge_rows: list[Judgment] = []
    for fact in facts:
        # In item order, whatever order the calls finished in (concurrent calls, batch results):
        # the bootstrap draws, and so the intervals, must not depend on timing.
        calls = by_item.get(fact.id, {})
        judge_rows.extend(calls[name] for name in sorted(calls))
    return by_item, judge_rows


def _counts(outcomes: list[ItemOutcome]) -> Counts:
    status = Counter(outcome.status for outcome in outcomes)
    reasons = Counter(
        _reason_key(outcome.reason) for outcome in outcomes if outcome.status == "unscored" and outcome.reason
    )
    return Counts(
        items=len(outcomes),
        scored=status["ok"],
        unscored=status["unscored"],
        errors=status["error"],
        pending=status["pending"],
        dropped=status["dropped"],
        unscored_reasons=dict(reasons.most_common()),
    )


def _reason_key(reason: str) -> str:
    # Group reasons that differ only in the quoted value ("'7' is not...", "'x' is not...").
    if " is outside the scale" in reason:
        return "score outside the scale"
    if "is not an allowed choice" in reason:
        return "not an allowed choice"
    if "is not a number" in reason:
        return "not a number"
    return reason.split(" (")[0]


def _pairwise(
    facts: list[ItemFacts], outcomes: list[ItemOutcome], options: dict[str, int], strong_weight: float | None
) -> PairwiseMetrics:
    scored = [(fact, outcome) for fact, outcome in zip(facts, outcomes, strict=True) if outcome.verdict is not None]
    verdicts = [outcome.verdict for _, outcome in scored]
    tally = Counter(verdicts)
    by_category: dict[str, list[str]] = defaultdict(list)
    for fact, outcome in scored:
        if fact.category is not None and outcome.verdict is not None:
            by_category[fact.category].append(outcome.verdict)
    categories = {
        name: estimate
        for name, values in sorted(by_category.items())
        if (estimate := pairwise_stats.win_rate(values, **options)) is not None
    }
    from judgekit.stats.length_control import length_controlled
    from judgekit.stats.style_control import style_controlled

    values = [pairwise_stats.OUTCOME_VALUE[v] for v in verdicts if v is not None]
    return PairwiseMetrics(
        wins_a=tally["A"],
        wins_b=tally["B"],
        ties=tally["tie"],
        win_rate=pairwise_stats.win_rate([v for v in verdicts if v is not None], **options),
        by_category=categories if len(categories) > 0 else {},
        model_a=_only({fact.model_a for fact in facts}),
        model_b=_only({fact.model_b for fact in facts}),
        standard_error=pairwise_stats.standard_error(values),
        length_controlled=length_controlled(
            values, [fact.length_a for fact, _ in scored], [fact.length_b for fact, _ in scored], **options
        ),
        # Rows combined elsewhere (a panel's or a cascade's verdicts) carry no grades: none are claimed.
        graded=None
        if strong_weight is None or not any(outcome.grades for outcome in outcomes)
        else graded_metrics(
            [outcome.grades for outcome in outcomes if outcome.status == "ok"], strong_weight, **options
        ),
        style_controlled=style_controlled(
            values, [fact.style_a for fact, _ in scored], [fact.style_b for fact, _ in scored], **options
        ),
    )


def _leaderboard(
    facts: list[ItemFacts], outcomes: list[ItemOutcome], options: dict[str, int], strong_weight: float | None
) -> Any:
    """A leaderboard of the scored comparisons between named systems (None for fewer than three);
    a graded template's comparisons are weighted by their votes (see `graded`)."""
    from judgekit.metrics.leaderboard import build

    compared = [
        (fact, outcome)
        for fact, outcome in zip(facts, outcomes, strict=True)
        if outcome.verdict is not None and fact.model_a and fact.model_b and fact.model_a != fact.model_b
    ]
    if not compared:
        return None
    values, weights = comparison_credits([(o.verdict, o.grades) for _, o in compared], strong_weight)
    return build(
        [str(fact.model_a) for fact, _ in compared],
        [str(fact.model_b) for fact, _ in compared],
        values,
        [fact.length_a for fact, _ in compared],
        [fact.length_b for fact, _ in compared],
        weights=weights,
        **options,
        style_a=[fact.style_a for fact, _ in compared],
        style_b=[fact.style_b for fact, _ in compared],
        instructions=[fact.instruction for fact, _ in compared],
    )


def _only(names: set[str | None]) -> str | None:
    """The one model name every item shares, or None."""
    return next(iter(names)) if len(names) == 1 else None


def _options(options: dict[str, int]) -> dict[str, Any]:
    return {"resamples": options["resamples"], "seed": options["seed"]}


def human_agreement(
    facts: list[ItemFacts], outcomes: list[ItemOutcome], options: dict[str, int]
) -> HumanAgreement | None:
    pairs = [
        (outcome.verdict, fact.human_label)
        for fact, outcome in zip(facts, outcomes, strict=True)
        if fact.human_label is not None and outcome.verdict is not None
    ]
    if not any(fact.human_label is not None for fact in facts):
        return None
    from judgekit.metrics.calibration import judge_calibration

    judge = [str(j) for j, _ in pairs]
    human = [str(h) for _, h in pairs]
    return HumanAgreement(
        n=len(pairs),
        agreement=pairwise_stats.agreement(judge, human, include_ties=True, **options),
        agreement_without_ties=pairwise_stats.agreement(judge, human, include_ties=False, **options),
        kappa=pairwise_stats.cohen_kappa(judge, human, **options) if pairs else None,
        confusion=pairwise_stats.confusion(judge, human),
        calibration=judge_calibration(facts, outcomes),
    )


def _pointwise(
    facts: list[ItemFacts],
    outcomes: list[ItemOutcome],
    scale: tuple[float, float] | None,
    method: str | None,
    options: dict[str, int],
    choices: Mapping[str, float] | None = None,
) -> PointwiseMetrics:
    scored = [(fact, outcome.score) for fact, outcome in zip(facts, outcomes, strict=True) if outcome.score is not None]
    scores = [score for _, score in scored if score is not None]
    by_category: dict[str, list[float]] = defaultdict(list)
    by_model: dict[str, list[float]] = defaultdict(list)
    for fact, score in scored:
        if score is None:
            continue
        if fact.category is not None:
            by_category[fact.category].append(score)
        if fact.model is not None:
            by_model[fact.model].append(score)
    pass_fail = distribution.pass_fail_values(choices)

    def summarise(values: list[float]) -> Estimate | None:
        if pass_fail is None:
            return mean_estimate(values, **_options(options))
        # A pass/fail template's result is its share of passes, with an exact interval (per group too).
        return share([1.0 if distribution.passes(value, *pass_fail) else 0.0 for value in values])

    bins, binning = distribution.score_bins(scores, scale, choices)
    by_model_estimates = _groups(by_model, summarise)
    return PointwiseMetrics(
        mean=mean_estimate(scores, **_options(options)),
        pass_rate=summarise(scores) if pass_fail is not None else None,
        distribution=bins,
        distribution_bins=binning,
        by_category=_groups(by_category, summarise),
        by_model=dict(sorted(by_model_estimates.items(), key=lambda entry: entry[1].value, reverse=True)),
        scale=scale,
        method=method,
    )


def _groups(
    groups: Mapping[str, list[float]], summarise: Callable[[list[float]], Estimate | None]
) -> dict[str, Estimate]:
    return {name: estimate for name, values in sorted(groups.items()) if (estimate := summarise(values)) is not None}
