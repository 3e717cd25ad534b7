"""From judgment rows to item outcomes to the run's metrics.

This needs nothing but the run directory's items and judgments, so `judgekit report` can
rebuild a summary (with a newer parser or statistic) without a single model call.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from judgekit.metrics import distribution
from judgekit.schema import Item, Judgment, Label
from judgekit.stats import agreement as pairwise_stats
from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, mean_estimate
from judgekit.stats.proportions import share
from judgekit.summary import (
    BiasMetrics,
    Counts,
    HumanAgreement,
    HumanAnchored,
    HumanCorrelation,
    PairwiseMetrics,
    PointwiseMetrics,
)

SWAP_CALLS = ("AB", "BA")


@dataclass
class ItemOutcome:
    """One item's final result, combined from its judge calls."""

    item_id: str
    status: str
    """ok, unscored, error or pending (no row yet)."""
    verdict: Label | None = None
    score: float | None = None
    flipped: bool | None = None
    reason: str | None = None
    probabilities: dict[str, float] | None = None


@dataclass
class ItemFacts:
    """The little an aggregation needs to know about an item (kept small for large runs)."""

    id: str
    kind: str
    human_label: Label | None
    human_score: float | None
    category: str | None
    model: str | None
    model_a: str | None
    model_b: str | None
    length_a: int
    length_b: int
    metadata: dict[str, Any] = field(default_factory=dict)
    human_scores: tuple[float, ...] | None = None
    """Each human rater's score, when the data holds several (human_score is their mean)."""

    @classmethod
    def of(cls, item: Item) -> ItemFacts:
        pairwise = item.kind == "pairwise"
        return cls(
            id=item.id,
            kind=item.kind,
            human_label=item.human_label,
            human_score=item.human_score,
            category=item.category,
            model=item.model,
            model_a=item.model_a,
            model_b=item.model_b,
            length_a=len(item.answer_a or "") if pairwise else len(item.answer or ""),
            length_b=len(item.answer_b or "") if pairwise else 0,
            metadata=item.metadata,
            human_scores=item.human_scores,
        )


def combine_orders(first: Judgment, second: Judgment) -> tuple[Label, bool, dict[str, float] | None]:
    """Combine the AB and BA verdicts of one item: (verdict, flipped, averaged probabilities).

    With probabilities from both orders (log-probabilities or samples) the two distributions
    are averaged and the most likely outcome wins, which cancels a judge's position bias.
    Otherwise, as MT-Bench does, agreeing verdicts stand and disagreeing ones become a tie.
    """
    assert first.verdict is not None and second.verdict is not None
    flipped = first.verdict != second.verdict
    if first.probabilities and second.probabilities:
        labels: tuple[Label, ...] = ("A", "B", "tie")
        mean: dict[str, float] = {
            label: (first.probabilities.get(label, 0.0) + second.probabilities.get(label, 0.0)) / 2 for label in labels
        }
        best = max(mean.values())
        leaders = [label for label in labels if mean[label] == best]
        # An exact draw between the answers is a tie, not a win for whichever label comes first.
        verdict = leaders[0] if len(leaders) == 1 else "tie"
        return verdict, flipped, mean
    if not flipped:
        return first.verdict, False, None
    return "tie", True, None


def item_outcome(facts: ItemFacts, rows: Mapping[str, Judgment]) -> ItemOutcome:
    """The outcome of one item from its judge rows (keyed by call)."""
    if not rows:
        return ItemOutcome(facts.id, "pending")
    if all(call in rows for call in SWAP_CALLS):
        first, second = rows["AB"], rows["BA"]
        for row in (first, second):
            if row.status == "error":
                return ItemOutcome(facts.id, "error", reason=row.reason)
        for row in (first, second):
            if row.status == "unscored":
                return ItemOutcome(facts.id, "unscored", reason=row.reason)
        verdict, flipped, probabilities = combine_orders(first, second)
        return ItemOutcome(facts.id, "ok", verdict=verdict, flipped=flipped, probabilities=probabilities)
    if any(call in rows for call in SWAP_CALLS):
        return ItemOutcome(facts.id, "pending")
    single = rows.get("single")
    if single is None:
        return ItemOutcome(facts.id, "pending")
    if single.status != "ok":
        return ItemOutcome(facts.id, single.status, reason=single.reason)
    return ItemOutcome(facts.id, "ok", verdict=single.verdict, score=single.score, probabilities=single.probabilities)


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
    leaderboard: Any = None
    """A `leaderboard.Leaderboard` when pairwise data compares three or more systems."""
    models: set[str] = field(default_factory=set)
    """Every model named by the items (for the self-preference warning)."""
    human_anchored: HumanAnchored | None = None
    """Judge-only, human-only and PPI++ estimates, when some scored items carry human references."""


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
    labels_are_random: bool = False,
) -> Aggregation:
    """Combine rows per item and compute every metric that applies to the run.

    `choices` are a choice template's verdict values (label -> score): the score distribution is
    counted per choice, and a pass/fail template gets a pass rate. `group_by` and `level` choose
    how pointwise scores are correlated with human scores (see `levels`); `renamed` maps data
    columns renamed by --field to their canonical names;
    `labels_are_random` skips the check that human labels were not obviously selected (see
    `human_anchored`).
    """
    from judgekit.metrics.human_anchored import human_anchored

    by_item: dict[str, dict[str, Judgment]] = defaultdict(dict)
    for row in rows:
        if row.role != "judge":
            continue
        by_item[row.item_id][row.call] = row  # later rows replace earlier ones
    facts = [ItemFacts.of(item) for item in items]
    judge_rows: list[Judgment] = []
    for fact in facts:
        # In item order, whatever order the calls finished in (concurrent calls, batch results):
        # the bootstrap draws, and so the intervals, must not depend on timing.
        calls = by_item.get(fact.id, {})
        judge_rows.extend(calls[name] for name in sorted(calls))
    outcomes = [item_outcome(fact, by_item.get(fact.id, {})) for fact in facts]
    status = Counter(outcome.status for outcome in outcomes)
    reasons = Counter(
        _reason_key(outcome.reason) for outcome in outcomes if outcome.status == "unscored" and outcome.reason
    )
    counts = Counts(
        items=len(facts),
        scored=status["ok"],
        unscored=status["unscored"],
        errors=status["error"],
        pending=status["pending"],
        unscored_reasons=dict(reasons.most_common()),
    )
    kind = facts[0].kind if facts else "pointwise"
    options = {"resamples": resamples, "seed": seed}
    pairwise = pointwise = None
    bias = None
    human: HumanAgreement | HumanCorrelation | None = None
    board = None
    if kind == "pairwise":
        pairwise = _pairwise(facts, outcomes, options)
        bias = bias_metrics(facts, outcomes, judge_rows, options)
        human = human_agreement(facts, outcomes, options)
        board = _leaderboard(facts, outcomes, options)
    else:
        from judgekit.metrics import levels

        chosen = levels.resolve_level(level, group_by)
        human = levels.human_correlation(
            facts, outcomes, level=chosen, group_by=group_by, renamed=renamed, options=options
        )
        pointwise = _pointwise(facts, outcomes, scale, method, options, choices)
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
        models={name for fact in facts for name in (fact.model, fact.model_a, fact.model_b) if name},
        human_anchored=human_anchored(facts, outcomes, labels_are_random=labels_are_random),
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


def _pairwise(facts: list[ItemFacts], outcomes: list[ItemOutcome], options: dict[str, int]) -> PairwiseMetrics:
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
    )


def _leaderboard(facts: list[ItemFacts], outcomes: list[ItemOutcome], options: dict[str, int]) -> Any:
    """A leaderboard of the scored comparisons between named systems (None for fewer than three)."""
    from judgekit.metrics.leaderboard import build

    compared = [
        (fact, outcome)
        for fact, outcome in zip(facts, outcomes, strict=True)
        if outcome.verdict is not None and fact.model_a and fact.model_b and fact.model_a != fact.model_b
    ]
    if not compared:
        return None
    return build(
        [str(fact.model_a) for fact, _ in compared],
        [str(fact.model_b) for fact, _ in compared],
        [pairwise_stats.OUTCOME_VALUE[str(outcome.verdict)] for _, outcome in compared],
        [fact.length_a for fact, _ in compared],
        [fact.length_b for fact, _ in compared],
        **options,
    )


def _only(names: set[str | None]) -> str | None:
    """The one model name every item shares, or None."""
    return next(iter(names)) if len(names) == 1 else None


def bias_metrics(
    facts: list[ItemFacts], outcomes: list[ItemOutcome], rows: list[Judgment], options: dict[str, int]
) -> BiasMetrics:
    decisive = [
        1.0 if row.shown == "first" else 0.0 for row in rows if row.status == "ok" and row.shown in ("first", "second")
    ]
    flips = [1.0 if outcome.flipped else 0.0 for outcome in outcomes if outcome.flipped is not None]
    longer = []
    for fact, outcome in zip(facts, outcomes, strict=True):
        if outcome.verdict in ("A", "B") and fact.length_a != fact.length_b:
            a_longer = fact.length_a > fact.length_b
            longer.append(1.0 if (outcome.verdict == "A") == a_longer else 0.0)
    return BiasMetrics(p_first=share(decisive), flip_rate=share(flips) if flips else None, p_longer=share(longer))


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
