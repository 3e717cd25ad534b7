"""Side-by-side statistics of several judges (or prompts) on one human-labelled dataset.

`build_row` turns one `JudgedSet` into a `ComparisonRow` (agreement or correlation with the
humans, bias figures, cost), `compare` ranks the rows and tests whether the best is better
than the runner-up on the same items. The result is a `Comparison`, saved as compare.json and
rendered by `reporting.compare_table` (and, later, by the HTML report).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from judgekit.choices import DEFAULT_SWAP_BELOW
from judgekit.compare.checklist_humans import (
    CHECKLIST_METRICS,
    checklist_humans,
    checklist_warnings,
    has_criterion_humans,
    is_checklist,
)
from judgekit.compare.significance import (
    PAIRWISE_METRICS,
    SCORE_METRICS,
    SignificanceTest,
    best_against_runner_up,
)
from judgekit.compare.significance import without_claim as without_claim  # re-exported: its old home
from judgekit.metrics.confidence import confidence_info
from judgekit.metrics.graded import graded_metrics
from judgekit.metrics.human_anchored import human_anchored
from judgekit.metrics.levels import Level, human_correlation, paired_values
from judgekit.metrics.outcomes import JudgedSet
from judgekit.stats import agreement as pairwise_stats
from judgekit.stats.intervals import DEFAULT_RESAMPLES, Estimate, mean_estimate
from judgekit.stats.length_control import length_controlled
from judgekit.stats.picks import ListwiseMetrics
from judgekit.stats.proportions import share
from judgekit.stats.style_control import style_controlled
from judgekit.summary import ConfidenceInfo, HumanAnchored, JudgeCalibration, OrderAccuracy, RaterCeiling

COMPARISON_VERSION = 1


class ComparisonRow(BaseModel):
    """One judge (with one prompt), or a panel, measured against the human references."""

    name: str
    rank: int | None = None
    """1 = best by the ranking metric; None when the metric could not be computed."""
    prompt: str | None = None
    judge: str | None = None
    run_dir: str | None = None
    items: int
    scored: int
    unscored: int
    errors: int = 0
    unscored_rate: Estimate | None = None
    """Share of answered items with no valid verdict."""
    human_n: int = 0
    """Items with both a human reference and a valid verdict; checklist data with human verdicts per
    criterion: the (item, criterion) pairs both the row and the human decided."""
    agreement: Estimate | None = None
    """Pairwise: verdict equals the human label, ties counting as a class."""
    agreement_without_ties: Estimate | None = None
    """Pairwise: the same over items where neither the judge nor the humans called a tie."""
    kappa: Estimate | None = None
    """Pairwise: Cohen's kappa of the verdicts with the human labels (A / B / tie)."""
    calibration: JudgeCalibration | None = None
    """Pairwise with human labels: the verdicts' confidence against their agreement (a panel's
    majority or unanimous verdicts: the share of its votes behind each; `metrics.confidence`).
    A checklist panel voting per criterion, with human verdicts: each criterion's vote share against
    its agreement with the human's (`metrics.checklist_confidence`)."""
    criterion_agreement: Estimate | None = None
    """Checklist data with human verdicts per criterion (`human_rubric`): the share of (item, criterion)
    pairs where the row's met / not met equals the human's, pooled over every criterion, with its exact
    interval: what `eval` reports as the checklist's agreement with the humans (`compare.checklist_humans`)."""
    criterion_kappa: Estimate | None = None
    """Cohen's kappa of the same pairs (bootstrap interval)."""
    confidence: ConfidenceInfo | None = None
    """The verdicts' mean confidence and where it came from (`sources`), as a run's summary gives it
    (`metrics.confidence`); None when no verdict carries one."""
    spearman: Estimate | None = None
    kendall: Estimate | None = None
    pearson: Estimate | None = None
    kappa_quadratic: Estimate | None = None
    """Pointwise, item level: quadratic-weighted kappa of judge and human scores."""
    alpha_interval: Estimate | None = None
    """Pointwise, item level: Krippendorff's alpha (interval) of judge and human scores."""
    icc: Estimate | None = None
    """Pointwise, item level: ICC(A,1) of judge and human scores."""
    raters: RaterCeiling | None = None
    """Several human ratings per item: the human-human ceiling next to this judge."""
    correlation_level: str | None = None
    groups: int | None = None
    groups_skipped: int | None = None
    wins_a: int | None = None
    wins_b: int | None = None
    ties: int | None = None
    win_rate: Estimate | None = None
    """Pairwise: the judge's win rate of A (ties one half)."""
    standard_error: float | None = None
    """Pairwise: standard error of the win rate, sample sd / sqrt(n) (AlpacaEval's definition)."""
    length_controlled_win_rate: Estimate | None = None
    graded_win_rate: Estimate | None = None
    """Pairwise, graded templates: A's share of the votes, a strong preference counting strong_weight."""
    length_coefficient: Estimate | None = None
    """Pairwise: log-odds per unit of tanh(length difference / sd); > 0 favours longer answers."""
    style_controlled_win_rate: Estimate | None = None
    """Pairwise: the win rate of A with length and markdown style controlled for (stats/style_control.py)."""
    style_coefficients: dict[str, Estimate] = Field(default_factory=dict)
    """Pairwise: log-odds per standard deviation of each fitted style feature."""
    listwise: ListwiseMetrics | None = None
    """Listwise (best of N): each model's pick rate, the first-shown rate, rotation agreement."""
    mean_score: Estimate | None = None
    position_consistency: Estimate | None = None
    """Pairwise under --positions swap: share of items given the same verdict in both orders."""
    p_first: Estimate | None = None
    """Pairwise: share of decisive verdicts that preferred the answer shown first."""
    p_longer: Estimate | None = None
    """Pairwise: share of decisive verdicts won by the longer answer."""
    orders: OrderAccuracy | None = None
    """Pairwise in both orders: accuracy against the human labels in each order and their mean (LLMBar)."""
    calls: int = 0
    """Judge calls behind the row (cached ones included: the cost of the judge on this data)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    """From --price; None when no price was given for the judge."""
    wall_s: float | None = None
    """Seconds this command spent on the row (small when it was resumed or cached)."""
    mean_latency_s: float | None = None
    """Mean seconds per judge call actually sent (cached calls left out)."""
    human_anchored: HumanAnchored | None = None
    """`judgekit agreement` with human labels on some items: judge-only, human-only and PPI++ estimates."""


class InterJudgeAgreement(BaseModel):
    """How much the judges of a panel agree with one another."""

    judges: list[str]
    items: int
    """Items every judge gave a valid verdict (or score)."""
    method: str
    """cohen (two judges) or fleiss (three or more); scores are taken as categories."""
    kappa: Estimate | None
    pairs: list[dict[str, Any]] = Field(default_factory=list)
    """Cohen's kappa (and Spearman for scores) of every pair of judges."""
    rule: str | None = None
    """How the votes were combined: majority, unanimous or mean (see `compare.panel`)."""
    quorum: int | None = None
    """Valid votes an item needs to get a panel verdict."""
    votes: dict[str, int] = Field(default_factory=dict)
    """Items by the number of judges that gave a valid verdict: the effective panel size per item."""
    below_quorum: int = 0
    """Items left without a panel verdict because fewer than `quorum` judges voted."""


class Comparison(BaseModel):
    """Every row of a comparison, ranked, with the test of best against runner-up."""

    version: int = COMPARISON_VERSION
    kind: str
    dataset: str
    ranked_by: str
    level: str = "item"
    group_by: str | None = None
    rows: list[ComparisonRow]
    best_vs_runner_up: SignificanceTest | None = None
    answer_models: list[str] | None = None
    """Pairwise: the models behind A and B, when every item names the same two."""
    panels: list[InterJudgeAgreement] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    output_dir: str | None = None


def default_metric(kind: str, criterion_humans: bool = False) -> str:
    """agreement for pairwise data, spearman for scores; checklist data with human verdicts per
    criterion: the pooled agreement with them."""
    if criterion_humans:
        return "criterion_agreement"
    return "agreement" if kind == "pairwise" else "spearman"


def check_metric(metric: str, kind: str, level: Level, checklist: bool = False) -> None:
    from judgekit.errors import UsageError

    allowed: tuple[str, ...] = PAIRWISE_METRICS + SCORE_METRICS if kind == "pairwise" else SCORE_METRICS
    if checklist:
        allowed = CHECKLIST_METRICS + allowed
    if metric not in allowed:
        data = "checklist" if checklist else kind
        raise UsageError(f"--rank-by {metric} does not apply to {data} data; choose one of {', '.join(allowed)}")
    if kind == "pairwise" and metric in SCORE_METRICS and level == "item":
        raise UsageError(f"--rank-by {metric} on pairwise data needs --level system or group with --group-by")


def build_row(
    judged: JudgedSet,
    *,
    level: Level = "item",
    group_by: str | None = None,
    price: tuple[float, float] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    anchored: bool = False,
    labels_are_random: bool = False,
) -> ComparisonRow:
    """Every statistic of one judged set, each rate with its bootstrap interval.

    With `anchored`, also the human-anchored (PPI++) estimates (see `metrics.human_anchored`).
    """
    from judgekit.metrics.aggregate import human_agreement
    from judgekit.metrics.bias import bias_metrics
    from judgekit.metrics.order_effects import order_accuracy

    options = {"resamples": resamples, "seed": seed}
    facts, outcomes = judged.facts, judged.outcomes
    status = [outcome.status for outcome in outcomes]
    answered = [1.0 if s == "unscored" else 0.0 for s in status if s in ("ok", "unscored")]
    row = ComparisonRow(
        name=judged.name,
        prompt=judged.prompt,
        judge=judged.judge,
        run_dir=judged.run_dir,
        items=len(facts),
        scored=status.count("ok"),
        unscored=status.count("unscored"),
        errors=status.count("error"),
        unscored_rate=share(answered),
        wall_s=judged.wall_s,
        confidence=confidence_info(outcomes, DEFAULT_SWAP_BELOW if judged.swap_below is None else judged.swap_below),
    )
    if judged.kind == "listwise":
        from judgekit.metrics.listwise import listwise_metrics

        row.listwise = listwise_metrics(facts, outcomes, [r for r in judged.rows if r.role == "judge"])
        _add_cost(row, judged, price)
        return row
    if judged.kind == "pairwise":
        human = human_agreement(facts, outcomes, options)
        if human is not None:
            row.human_n = human.n
            row.agreement, row.agreement_without_ties, row.kappa = (
                human.agreement,
                human.agreement_without_ties,
                human.kappa,
            )
            row.calibration = human.calibration
        judge_rows = [r for r in judged.rows if r.role == "judge"]
        bias = bias_metrics(facts, outcomes, judge_rows, judged.positions)
        row.orders = order_accuracy(facts, judge_rows, rule=judged.disagreement)
        # Under --positions fixed, P(first) is A's share of the verdicts, not a bias estimate: left out.
        row.p_first = bias.p_first if bias.p_first_is_bias_estimate else None
        row.p_longer = bias.p_longer
        if bias.flip_rate is not None:
            row.position_consistency = Estimate(
                value=1 - bias.flip_rate.value,
                low=None if bias.flip_rate.high is None else 1 - bias.flip_rate.high,
                high=None if bias.flip_rate.low is None else 1 - bias.flip_rate.low,
                n=bias.flip_rate.n,
                interval=bias.flip_rate.interval,
                no_interval=bias.flip_rate.no_interval,
            )
        scored = [(f, o) for f, o in zip(facts, outcomes, strict=True) if o.verdict is not None]
        values = [pairwise_stats.OUTCOME_VALUE[str(o.verdict)] for _, o in scored]
        row.win_rate = share(values)
        row.standard_error = pairwise_stats.standard_error(values)
        row.wins_a, row.wins_b, row.ties = values.count(1.0), values.count(0.0), values.count(0.5)
        if judged.strong_weight is not None:
            grades = [o.grades for o in outcomes if o.status == "ok"]
            row.graded_win_rate = graded_metrics(grades, judged.strong_weight, **options).win_rate
        fitted = length_controlled(values, [f.length_a for f, _ in scored], [f.length_b for f, _ in scored], **options)
        if fitted is not None:
            row.length_controlled_win_rate, row.length_coefficient = fitted.win_rate, fitted.length_coefficient
        styled = style_controlled(values, [f.style_a for f, _ in scored], [f.style_b for f, _ in scored], **options)
        if styled is not None:
            row.style_controlled_win_rate, row.style_coefficients = styled.win_rate, styled.coefficients
    else:
        row.mean_score = mean_estimate([o.score for o in outcomes if o.score is not None], **options)
        row.human_n = len(paired_values(facts, outcomes))
        _add_checklist_humans(row, judged, options)
    if judged.kind == "pointwise" or level != "item":
        found = human_correlation(
            facts, outcomes, level=level, group_by=group_by, renamed=judged.renamed, options=options
        )
        if found is not None:
            row.spearman, row.kendall, row.pearson = found.spearman, found.kendall, found.pearson
            row.kappa_quadratic, row.alpha_interval, row.icc = found.kappa_quadratic, found.alpha_interval, found.icc
            row.raters = found.raters
            row.correlation_level, row.groups, row.groups_skipped = found.level, found.groups, found.groups_skipped
    if anchored:
        row.human_anchored = human_anchored(facts, outcomes, labels_are_random=labels_are_random)
    _add_cost(row, judged, price)
    return row


def _add_checklist_humans(row: ComparisonRow, judged: JudgedSet, options: Mapping[str, int]) -> None:
    """Checklist data with human verdicts per criterion: pooled agreement, its n, a voting panel's calibration."""
    found = checklist_humans(judged, options)
    if found is None:
        return
    row.human_n = found.humans.n
    row.criterion_agreement, row.criterion_kappa = found.humans.agreement, found.humans.kappa
    row.calibration = found.calibration


def _add_cost(row: ComparisonRow, judged: JudgedSet, price: tuple[float, float] | None) -> None:
    latencies = []
    for call in judged.rows:
        if call.completion is None:
            continue
        row.calls += 1
        row.prompt_tokens += call.completion.prompt_tokens or 0
        row.completion_tokens += call.completion.completion_tokens or 0
        if not call.cached and call.latency_s > 0:
            latencies.append(call.latency_s)
    row.mean_latency_s = round(float(np.mean(latencies)), 3) if latencies else None
    if price is not None and row.calls:
        row.cost_usd = (row.prompt_tokens * price[0] + row.completion_tokens * price[1]) / 1_000_000


def metric_value(row: ComparisonRow, metric: str) -> float | None:
    estimate = getattr(row, metric)
    return None if estimate is None else float(estimate.value)


def rank(rows: list[ComparisonRow], metric: str) -> list[ComparisonRow]:
    """Rows sorted best first by the metric; rows without it go last, unranked."""
    ordered = sorted(rows, key=lambda r: -(v if (v := metric_value(r, metric)) is not None else -np.inf))
    position = 0
    for row in ordered:
        if metric_value(row, metric) is None:
            row.rank = None
        else:
            position += 1
            row.rank = position
    return ordered


def _table_price(judge: str | None) -> tuple[float, float] | None:
    """judgekit's dated list price of a judge, when it knows one (see `judgekit.judging.pricing`)."""
    from judgekit.judging.pricing import builtin_prices

    known = builtin_prices(judge) if judge else None
    return (known.input, known.output) if known else None


def _answer_models(judged: JudgedSet) -> list[str] | None:
    """[model of A, model of B] when every item of a pairwise set names the same two models."""
    pairs = {(fact.model_a, fact.model_b) for fact in judged.facts}
    if judged.kind != "pairwise" or len(pairs) != 1:
        return None
    model_a, model_b = pairs.pop()
    return [model_a, model_b] if model_a and model_b else None


def compare(
    sets: Sequence[JudgedSet],
    *,
    dataset: str,
    metric: str | None = None,
    level: Level = "item",
    group_by: str | None = None,
    prices: Mapping[str, tuple[float, float]] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    anchored: bool = False,
    labels_are_random: bool = False,
) -> Comparison:
    """Rows for every set, ranked by `metric`, with the best tested against the runner-up."""
    kind = sets[0].kind
    chosen = metric or default_metric(kind, has_criterion_humans(sets[0].facts))
    check_metric(chosen, kind, level, is_checklist(sets[0].facts))
    prices = prices or {}
    rows = [
        build_row(
            judged,
            level=level,
            group_by=group_by,
            price=prices.get(judged.judge or "") or _table_price(judged.judge),
            resamples=resamples,
            seed=seed,
            anchored=anchored,
            labels_are_random=labels_are_random,
        )
        for judged in sets
    ]
    ordered = rank(rows, chosen)
    by_name = {judged.name: judged for judged in sets}
    test = None
    ranked = [row for row in ordered if row.rank is not None]
    if len(ranked) >= 2:
        test = best_against_runner_up(
            by_name[ranked[0].name],
            by_name[ranked[1].name],
            chosen,
            level=level,
            group_by=group_by,
            resamples=resamples,
            seed=seed,
        )
    measured = any(row.human_n for row in rows)
    warnings = checklist_warnings(sets, any(row.criterion_agreement is not None for row in rows), measured)
    if warnings is None:
        warnings = (
            [] if measured else ["no item has a human label or score: agreement and correlation cannot be computed"]
        )
    return Comparison(
        kind=kind,
        dataset=dataset,
        answer_models=_answer_models(sets[0]),
        ranked_by=chosen,
        level=level,
        group_by=group_by,
        rows=ordered,
        best_vs_runner_up=test,
        warnings=warnings,
    )
