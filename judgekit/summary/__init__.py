"""The run summary written to summary.json and printed by `--format json`.

Rates are fractions in [0, 1]; every `Estimate` carries its 95% confidence interval (exact
Clopper-Pearson for proportions, a percentile bootstrap for means, correlations and fits), the
number of observations it rests on, and, when it has no interval, the reason (`no_interval`).
Unscored and failed items are counted, never folded into a rate: a win rate is over the items
with a valid verdict, and says how many those were.

The models live in three modules: this one (counts, the pairwise/pointwise/bias/checklist
figures and `Summary` itself), `human` (everything measured against human labels) and `calls`
(score method, cost, stages, confidence, adaptive); every name is importable from here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from judgekit.stats.difficulty import DifficultyControlled
from judgekit.stats.intervals import Estimate
from judgekit.stats.length_control import LengthControlled
from judgekit.stats.picks import ListwiseMetrics
from judgekit.stats.style_control import StyleControlled
from judgekit.summary.calls import AdaptiveInfo, ConfidenceInfo, Cost, ScoringInfo, StageUsage
from judgekit.summary.human import (
    AnchoredEstimate,
    CriterionHumans,
    HumanAgreement,
    HumanAnchored,
    HumanCorrelation,
    JudgeCalibration,
    OrderAccuracy,
    RaterCeiling,
    ReliabilityRow,
)

SUMMARY_VERSION = 1

__all__ = [
    "SUMMARY_VERSION",
    "AdaptiveInfo",
    "AnchoredEstimate",
    "BiasFlag",
    "BiasMetrics",
    "ChecklistMetrics",
    "ConfidenceInfo",
    "Cost",
    "Counts",
    "CriterionHumans",
    "CriterionMetrics",
    "GradedMetrics",
    "HumanAgreement",
    "HumanAnchored",
    "HumanCorrelation",
    "JudgeCalibration",
    "Leaderboard",
    "LeaderboardRow",
    "OrderAccuracy",
    "PairwiseMetrics",
    "PointwiseMetrics",
    "RaterCeiling",
    "ReliabilityRow",
    "ScoringInfo",
    "StageUsage",
    "Summary",
    "usage_of",
]


class Counts(BaseModel):
    items: int
    """Items in the run."""
    scored: int
    """Items with a valid verdict (or score)."""
    unscored: int
    """Items where the judge answered but no valid verdict could be read."""
    errors: int
    """Items whose calls failed after every retry (a re-run retries only these)."""
    pending: int = 0
    """Items not judged because the run stopped early (interrupt or budget)."""
    dropped: int = 0
    """Items left out because their two orders disagreed (--order-disagreement drop)."""
    calls: int = 0
    """Completions received from the provider over the whole run directory, every session
    included (paid calls)."""
    requests: int = 0
    """Requests sent, retries included."""
    cached: int = 0
    """Calls answered by the on-disk cache (free)."""
    resumed: int = 0
    """Of `calls` and `cached`, those the latest session found already made by an earlier
    session of this run (interrupted, stopped by a budget, or run again) and reused."""
    retries: dict[str, int] = Field(default_factory=dict)
    """Retried failures by kind (rate_limit, server_error, timeout, connection, malformed)."""
    failures: dict[str, int] = Field(default_factory=dict)
    """Calls that still failed after the last retry, by kind."""
    unscored_reasons: dict[str, int] = Field(default_factory=dict)
    failure_reasons: dict[str, list[str]] = Field(default_factory=dict)
    """The first distinct messages (up to 3) per kind of failure, from calls that failed and
    attempts that were retried: what the server said, credentials redacted."""
    prompt_tokens: int = 0
    completion_tokens: int = 0


class GradedMetrics(BaseModel):
    """Graded templates (A>>B, A>B, A=B, B>A, B>>A): every judged order is a game, a strong
    preference counting `strong_weight` votes and any other verdict one (Arena-Hard's rule)."""

    strong_weight: float
    counts: dict[str, int] = Field(default_factory=dict)
    """Judge verdicts per grade, in the dataset's terms (A is answer_a); under --positions swap
    both orders of a scored item count."""
    win_rate: Estimate | None = None
    """A's share of the weighted votes, ties counting one half (bootstrap interval over items)."""


class PairwiseMetrics(BaseModel):
    model_a: str | None = None
    model_b: str | None = None
    wins_a: int
    wins_b: int
    ties: int
    win_rate: Estimate | None
    """Share of scored items won by A, ties counting one half."""
    by_category: dict[str, Estimate] = Field(default_factory=dict)
    """Win rate of A per category."""
    combine: str | None = None
    """How the two orders were combined under --positions swap."""
    standard_error: float | None = None
    """Standard error of the win rate (sample standard deviation / sqrt(n)), as AlpacaEval reports it."""
    length_controlled: LengthControlled | None = None
    """The win rate of A with the answers' length difference controlled for (a logistic model)."""
    graded: GradedMetrics | None = None
    """Graded templates only: per-grade counts and the vote-weighted win rate of A (absent when no
    row carries a grade: every item unscored, or verdicts combined by a panel or a cascade)."""
    style_controlled: StyleControlled | None = None
    """The win rate of A with length, headers, list items and bold spans controlled for (Arena style)."""


class PointwiseMetrics(BaseModel):
    mean: Estimate | None
    pass_rate: Estimate | None = None
    """Pass/fail templates: the share of scored items given the pass verdict (exact interval)."""
    distribution: dict[str, int] = Field(default_factory=dict)
    """How many items fell in each bin of the template's scale (see `distribution_bins`)."""
    distribution_bins: str | None = None
    """How scores were binned: per choice, per whole point, rounded to the nearest point, or ranges."""
    by_category: dict[str, Estimate] = Field(default_factory=dict)
    """Mean score per category (the pass rate, for a pass/fail template)."""
    by_model: dict[str, Estimate] = Field(default_factory=dict)
    """Mean score (or pass rate) per model, when the data names the model of each answer."""
    scale: tuple[float, float] | None = None
    method: str | None = None
    """parse, logprobs (probability-weighted) or samples (mean of n samples)."""


class BiasFlag(BaseModel):
    """A bias figure whose interval is clear of the no-bias value (see `metrics.bias`)."""

    metric: str
    """p_first, flip_rate, p_longer or length_vs_humans."""
    estimate: Estimate
    reference: float
    """The no-bias value the interval excludes (0.5, 0 for the difference with humans), or the
    flip rate the whole interval lies above."""
    message: str


class BiasMetrics(BaseModel):
    positions: str | None = None
    """The answer order of the run: swap, random or fixed (None when not known)."""
    p_first: Estimate | None = None
    """Share of decisive verdicts that preferred the answer shown first (0.5 is unbiased). Under
    --positions fixed this is A's share of decisive verdicts, not a bias estimate."""
    p_first_is_bias_estimate: bool = True
    """False under --positions fixed (the order never varied)."""
    flip_rate: Estimate | None = None
    """Under --positions swap: share of items whose verdict changed with the order."""
    p_longer: Estimate | None = None
    """Share of decisive item verdicts won by the longer answer."""
    judge_p_longer_vs_humans: Estimate | None = None
    """With human labels: the judge's share of longer picks on the items where the judge and the
    humans both picked an answer of a different length than the other."""
    human_p_longer: Estimate | None = None
    """The humans' share of longer picks on the same items."""
    p_longer_when_humans_longer: Estimate | None = None
    """P(judge picks the longer answer | the humans picked the longer answer)."""
    p_longer_when_humans_shorter: Estimate | None = None
    """P(judge picks the longer answer | the humans picked the shorter answer)."""
    length_vs_humans: Estimate | None = None
    """The length bias conditional on the human label: the two figures above summed, minus 1 (its
    errors towards the longer answer minus those towards the shorter; 0 is free of length bias,
    +1 always picks the longer, -1 the shorter), with Newcombe's hybrid score interval."""
    flags: list[BiasFlag] = Field(default_factory=list)
    """Figures whose interval is clear of no bias (swap and random runs only)."""


class LeaderboardRow(BaseModel):
    system: str
    rank: int
    comparisons: int
    wins: int
    losses: int
    ties: int
    win_rate: Estimate | None
    """Share of this system's comparisons it won, ties counting one half."""
    strength: Estimate | None = None
    """Bradley-Terry strength: log-odds of beating an average system (strengths average zero)."""
    length_controlled_win_rate: Estimate | None = None
    """With a baseline: the win rate against it with the length difference controlled for."""
    length_coefficient: Estimate | None = None
    style_controlled: StyleControlled | None = None
    """With a baseline: the style-controlled fit against it (win rate and style coefficients)."""
    difficulty_controlled_win_rate: Estimate | None = None
    """With a baseline: the length-controlled win rate with a per-instruction difficulty term (AlpacaEval's model)."""


class Leaderboard(BaseModel):
    systems: int
    comparisons: int
    """Scored items between two named systems."""
    baseline: str | None = None
    """The system present in every comparison, if there is exactly one (AlpacaEval style)."""
    ranked_by: str
    """strength (Bradley-Terry) or win_rate when strengths cannot be fitted."""
    rows: list[LeaderboardRow] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    difficulty: DifficultyControlled | None = None
    """With a baseline: the joint fit with a term per system, the length difference and a term per instruction."""


class CriterionMetrics(BaseModel):
    """One checklist criterion across the items that carry it."""

    name: str
    points: float | None
    """Its points (None when items give it different points)."""
    items: int
    """Items whose checklist holds it."""
    graded: int
    """Items where the judge gave it a valid verdict."""
    unscored: int
    """Items where the judge answered but no verdict for it could be read."""
    met: int
    pass_rate: Estimate | None = None
    """met / graded, with its exact Clopper-Pearson interval."""
    human: CriterionHumans | None = None


class ChecklistMetrics(BaseModel):
    """Checklist grading (see `judgekit.metrics.checklist`): each item's score is the points of the
    criteria met over the positive points possible; the run's score is their mean clipped to [0, 1].
    An item with any unscored criterion is unscored (fail-closed); its graded criteria still count
    in the per-criterion rates."""

    calls: str
    """each (one call per criterion) or all (one call grading every criterion)."""
    score: Estimate | None = None
    """The run's checklist score: the mean item score clipped to [0, 1], its bootstrap interval's
    ends clipped too (as HealthBench reports it); also the run's pointwise mean score."""
    mean_item_score: Estimate | None = None
    """The mean item score before clipping (below 0 when penalties outweigh what was met)."""
    criteria: list[CriterionMetrics] = Field(default_factory=list)
    by_tag: dict[str, Estimate] = Field(default_factory=dict)
    """Per tag of the criteria: each scored item's score over its criteria with that tag alone
    (items whose tagged criteria have no positive points are left out), mean clipped to [0, 1]."""
    unscored_criteria: int = 0
    """Criterion verdicts that could not be read, over all items."""
    human: CriterionHumans | None = None
    """Every criterion pooled, against the human verdicts (data with human_rubric)."""
    calibration: JudgeCalibration | None = None
    """A panel voting per criterion, with human verdicts: each criterion's share of the judges behind
    the panel's verdict against its agreement with the human's (`metrics.checklist_confidence`)."""


class Summary(BaseModel):
    """Everything a run measured, plus what is needed to reproduce it."""

    model_config = ConfigDict(extra="allow")

    version: int = SUMMARY_VERSION
    status: Literal["complete", "incomplete", "interrupted"]
    """complete: every item has a row; incomplete: stopped by a budget or errors remain;
    interrupted: stopped by Ctrl-C (run the same command again to finish)."""
    run_dir: str
    kind: Literal["pairwise", "pointwise", "listwise"]
    judge: str
    template: dict[str, Any]
    dataset: dict[str, Any]
    config: dict[str, Any]
    judgekit_version: str
    counts: Counts
    pairwise: PairwiseMetrics | None = None
    pointwise: PointwiseMetrics | None = None
    listwise: ListwiseMetrics | None = None
    """A listwise (best-of-N) run: how often each model's answer was picked."""
    bias: BiasMetrics | None = None
    human: HumanAgreement | HumanCorrelation | None = None
    orders: OrderAccuracy | None = None
    """--positions swap with human labels: accuracy in each order and combined (see OrderAccuracy)."""
    human_anchored: HumanAnchored | None = None
    """With human labels on a random sample of the items: judge-only, human-only and PPI++ estimates."""
    failed_items: list[str] = Field(default_factory=list)
    """Ids of items whose calls failed (first 100)."""
    unscored_items: list[str] = Field(default_factory=list)
    """Ids of unscored items (first 100)."""
    warnings: list[str] = Field(default_factory=list)
    timing: dict[str, float] = Field(default_factory=dict)
    leaderboard: Leaderboard | None = None
    """Pairwise data comparing three or more systems: their ranking (Bradley-Terry strengths)."""
    scoring: ScoringInfo | None = None
    """How verdicts became numbers, and how much probability fell on valid verdicts."""
    grading: dict[str, Any] | None = None
    """Mode, domain, criterion, evaluation steps, templates used and generated references."""
    cost: Cost | None = None
    """The run's cost, when token prices are known for the judge (see `judgekit.judging.pricing`)."""
    confidence: ConfidenceInfo | None = None
    """Mean confidence and the share below the threshold, when the verdicts carry one."""
    adaptive: AdaptiveInfo | None = None
    """--positions adaptive: calls made and saved, and the flip rate where both orders were judged."""
    checklist: ChecklistMetrics | None = None
    """Checklist grading: per-criterion pass rates, the mean checklist score, agreement per criterion."""
    stages: list[StageUsage] | None = None
    """A cascade's or a panel's verdicts: each judge's calls, tokens and cost (`counts` and `cost` add them up)."""


def usage_of(summary: Summary) -> dict[str, Any]:
    """A run's calls, tokens, retries, failures and cost as `StageUsage` fields (a cascade's stage or a
    panel's judge, reported by the combined run)."""
    counts = summary.counts
    return {
        "calls": counts.calls,
        "cached": counts.cached,
        "requests": counts.requests,
        "resumed": counts.resumed,
        "prompt_tokens": counts.prompt_tokens,
        "completion_tokens": counts.completion_tokens,
        "retries": dict(counts.retries),
        "failures": dict(counts.failures),
        "cost_usd": summary.cost.usd if summary.cost else None,
    }
