"""compare.json's typed records: one row per judge (with one prompt) or panel, a panel's inter-judge
agreement, and the whole comparison (`compare.statistics` fills them)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from judgekit.compare.significance import SignificanceTest
from judgekit.stats.intervals import Estimate
from judgekit.stats.picks import ListwiseMetrics
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
