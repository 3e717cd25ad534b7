"""The run summary written to summary.json and printed by `--format json`.

Rates are fractions in [0, 1]; every `Estimate` carries its 95% confidence interval (exact
Clopper-Pearson for proportions, a percentile bootstrap for means, correlations and fits), the
number of observations it rests on, and, when it has no interval, the reason (`no_interval`).
Unscored and failed items are counted, never folded into a rate: a win rate is over the items
with a valid verdict, and says how many those were.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from judgekit.stats.difficulty import DifficultyControlled
from judgekit.stats.intervals import Estimate
from judgekit.stats.length_control import LengthControlled
from judgekit.stats.picks import ListwiseMetrics
from judgekit.stats.style_control import StyleControlled

SUMMARY_VERSION = 1


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


class OrderAccuracy(BaseModel):
    """--positions swap with human labels: accuracy in each shown order, as LLMBar reports it.

    Over the items with a human label and a valid verdict in both orders."""

    n: int
    a_first: Estimate | None
    """Accuracy of the verdicts given with answer A shown first (the data's order)."""
    b_first: Estimate | None
    """Accuracy of the verdicts given with the answers swapped (B shown first)."""
    mean: Estimate | None
    """The mean of the two: LLMBar's accuracy (each item counts 0, 1/2 or 1)."""
    both_right: Estimate | None
    """Share of items right in both orders."""
    positional_agreement: Estimate | None
    """Share of items given the same verdict in both orders (LLMBar's positional agreement)."""
    rule: str
    """How disagreeing orders were combined for `combined` (mean, tie, decisive, drop)."""
    combined: Estimate | None
    """Accuracy of the item verdict after combining the orders under `rule` (dropped items left out)."""
    dropped: int = 0
    """Items left out of `combined` under the drop rule."""


class ReliabilityRow(BaseModel):
    low: float
    high: float
    n: int
    confidence: float
    """Mean confidence of the judge in its verdicts on the bin's items."""
    accuracy: float
    """Share of the bin's verdicts that matched the human label."""


class JudgeCalibration(BaseModel):
    """The judge's confidence against its agreement with humans (a reliability table)."""

    source: str
    """probability (the judge's probability for its verdict), panel votes (the share of a panel's
    judges behind its verdict) or order agreement (under swap: 1 when both orders agreed, 1/2
    when they did not)."""
    n: int
    """Labelled items with a verdict and a confidence."""
    bins: list[ReliabilityRow] = Field(default_factory=list)
    """Equal-width confidence bins (tenths), the empty ones left out."""
    ece: float | None = None
    """Expected calibration error: the item-weighted mean |accuracy - confidence| over the bins."""


class HumanAgreement(BaseModel):
    n: int
    """Items with both a human label and a judge verdict."""
    agreement: Estimate | None
    """Judge verdict equals the human label (ties count as a class)."""
    agreement_without_ties: Estimate | None
    """The same over items where neither side is a tie."""
    kappa: Estimate | None
    """Cohen's kappa over A / B / tie."""
    confusion: dict[str, dict[str, int]]
    """counts[human label][judge verdict]."""
    calibration: JudgeCalibration | None = None
    """How well the judge's confidence predicts agreement with the humans (probabilities or swap)."""


class RaterCeiling(BaseModel):
    """Several human ratings per item: how well humans agree with each other, next to the judge."""

    raters: int
    """The most human ratings any item holds."""
    items: int
    """Items with a judge score and two or more human ratings (the figures below rest on these)."""
    alpha_interval: Estimate | None = None
    """Krippendorff's alpha (interval level) among the human ratings."""
    alpha_ordinal: Estimate | None = None
    """Krippendorff's alpha (ordinal level) among the human ratings."""
    icc: Estimate | None = None
    """One-way ICC(1) of a single human rating, over the items rated by all `raters` raters."""
    human_spearman: Estimate | None = None
    """Leave-one-out: Spearman of each human rating with the mean of the item's other ratings,
    averaged over rating slots (the human-human ceiling)."""
    judge_spearman: Estimate | None = None
    """The judge's Spearman with the same leave-one-out means (the judge in a human's place)."""


class HumanCorrelation(BaseModel):
    n: int
    spearman: Estimate | None
    kendall: Estimate | None
    pearson: Estimate | None
    kappa_linear: Estimate | None = None
    """Cohen's weighted kappa of judge and human scores, linear weights (item level)."""
    kappa_quadratic: Estimate | None = None
    """Cohen's weighted kappa, quadratic weights (item level)."""
    alpha_ordinal: Estimate | None = None
    """Krippendorff's alpha of judge and human scores, ordinal level (item level)."""
    alpha_interval: Estimate | None = None
    """Krippendorff's alpha of judge and human scores, interval level (item level)."""
    icc: Estimate | None = None
    """ICC(A,1), absolute agreement of the judge's and the human scores (item level)."""
    raters: RaterCeiling | None = None
    """With several human ratings per item: the human-human ceiling."""
    notes: list[str] = Field(default_factory=list)
    """Why a figure is missing (too few items, constant scores, too many distinct scores)."""
    level: str = "item"
    """item: all pairs at once; group: per group, then averaged; system: per-group means correlated."""
    group_by: str | None = None
    """The column that defines groups or systems."""
    groups: int | None = None
    """Groups (or systems) the coefficients rest on."""
    groups_skipped: int | None = None
    """Group level: groups left out because the judge's or the humans' scores were constant in them."""


class AnchoredEstimate(BaseModel):
    """One quantity three ways over the same scored items, each with a normal (CLT) 95% interval."""

    judge_only: Estimate
    """The judge's value over every scored item: biased by whatever biases the judge."""
    human_only: Estimate
    """The humans' value over the labelled items alone (weighted by stratum when stratified)."""
    corrected: Estimate
    """PPI++: the judge's value corrected by its error on the labelled items; unbiased for what
    the humans would say over all the scored items, whatever the judge's bias."""
    effective_labels: float | None
    """Human labels that alone would give an interval as narrow as the corrected one:
    labelled x var(human only) / var(corrected). None when both variances are zero."""
    lambdas: dict[str, float] = Field(default_factory=dict)
    """The power-tuning weight of the judge per stratum (0: the judge was of no use; 1: plain PPI)."""
    labelled: int
    items: int


class HumanAnchored(BaseModel):
    """Judge verdicts on every item anchored by human labels on a random sample (PPI++)."""

    metric: str
    """What is estimated: "win rate of A" (ties one half), "mean score" or "pass rate"."""
    items: int
    """Scored items: the population the estimates are about."""
    labelled: int
    """Scored items that also carry a human label or score."""
    labelled_unscored: int = 0
    """Labelled items the judge left unscored or failed on (left out, like every unscored item)."""
    sample: str
    """Why the labelled items are taken as a random sample: "checked" (no sign of selection found),
    "asserted" (--labels-are-random) or "stratified" (drawn per stratum by `judgekit labels plan`)."""
    stratified_by: str | None = None
    """The column naming each item's stratum, when the labels were drawn per stratum."""
    overall: AnchoredEstimate | None = None
    by_category: dict[str, AnchoredEstimate] = Field(default_factory=dict)
    refused: str | None = None
    """Why no estimate was made: the labelled items do not look like a random sample."""
    notes: list[str] = Field(default_factory=list)


class ScoringInfo(BaseModel):
    """How verdicts became numbers (`--score-method`)."""

    requested: str
    """What was asked for: auto, parse, logprobs or samples."""
    method: str
    """What was used: parse (the written verdict), logprobs (weighted by the probabilities of the
    allowed verdict tokens) or samples (mean, or shares, of several sampled verdicts)."""
    samples: int | None = None
    """Samples per judge call under the samples method."""
    sample_requests: str | None = None
    """"one" (n samples in one request) or "separate" (one request per sample)."""
    verdicts_by_method: dict[str, int] = Field(default_factory=dict)
    """Judge verdicts read each way. Under logprobs a verdict whose token carries no alternatives
    (or spans several tokens) keeps its parsed value and counts as parse."""
    valid_mass: float | None = None
    """Mean share of the probability (logprobs) or of the samples that fell on valid verdicts."""
    valid_mass_min: float | None = None
    """The smallest such share over the run's verdicts."""
    mean_probabilities: dict[str, float] | None = None
    """Pairwise: mean P(A), P(B), P(tie) over the items whose verdicts carry probabilities."""
    notes: list[str] = Field(default_factory=list)
    """Fallbacks and choices made when the method was resolved (also printed when the run starts)."""


class Cost(BaseModel):
    usd: float
    """What the run directory's answers were charged at these prices, from the token counts
    the provider reported: answers from a provider batch at the batch price (half the list
    price), cached answers free. Every invocation on the directory counts."""
    list_usd: float | None = None
    """The same answers at list price (equal to `usd` for a run without batches)."""
    batch_answers: int = 0
    """Answers that came from provider batches (charged at the batch price)."""
    price_in: float | None = None
    """US dollars per million input tokens (None: a cascade, each stage at its judge's price; see `stages`)."""
    price_out: float | None = None
    """US dollars per million output tokens (None as for `price_in`)."""
    source: str
    """Where the prices came from (the built-in table and its date, or --price-in/--price-out)."""


class StageUsage(BaseModel):
    """One judge of a cascade: the items it judged, the threshold it kept verdicts at, its calls and cost."""

    stage: int
    judge: str
    run_dir: str
    """The stage's own run directory (every figure below is over it, every session included)."""
    items: int
    escalated: int = 0
    """Items it passed on to the next judge."""
    threshold: float | None = None
    """Below this confidence a verdict escalated (the last stage: was left for humans); None: none trusted."""
    disagreement_bound: float | None = None
    """--target-agreement: the upper bound on the disagreement of the calibration verdicts it kept."""
    calls: int = 0
    cached: int = 0
    requests: int = 0
    resumed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: dict[str, int] = Field(default_factory=dict)
    failures: dict[str, int] = Field(default_factory=dict)
    cost_usd: float | None = None
    """At the judge's built-in price; None: no price is known for it."""


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


class ConfidenceInfo(BaseModel):
    """How sure the judge was of its item verdicts (defined in `metrics.confidence`)."""

    n: int
    """Scored items with a confidence (probability, a panel's vote share or agreement of both orders)."""
    mean: float
    threshold: float
    """--swap-below: the confidence below which a verdict counts as unsure."""
    below: int
    below_share: float
    sources: dict[str, int] = Field(default_factory=dict)
    """Items per source: logprobs, samples, probability (a panel's mean), panel votes or order agreement."""


class AdaptiveInfo(BaseModel):
    """--positions adaptive: what judging the other order only when unsure cost and found."""

    threshold: float
    """--swap-below."""
    items: int
    """Items judged in their first (seeded random) order."""
    both_orders: int
    """Items that were judged in the other order too (unsure, tie or unscored first)."""
    calls: int
    """Judge calls made: one per item and order."""
    full_swap_calls: int
    """What --positions swap would make: two per item."""
    saved: int
    calls_per_item: float
    """calls / items: 1 is a single order, 2 full swap."""
    flip_rate: Estimate | None = None
    """Of the items with a verdict in both orders: the share whose verdict changed with the order
    (a selected, unsure subset: not comparable with a swap run's flip rate)."""
    audit: float = 0.0
    """--swap-audit: the share of sure first verdicts also judged in the other order."""
    audited: int = 0
    """Sure items judged in both orders by the audit."""
    audit_changed: int = 0
    """Of those, the items whose combined verdict differs from their first order's."""
    kept: Estimate | None = None
    """Estimated share of full swap's verdicts the run kept (see `metrics.adaptive`): exact when
    every item got both orders, None when sure items were judged once and none was audited."""


class CriterionHumans(BaseModel):
    """One checklist criterion against a human's verdicts on it."""

    n: int
    """Criteria graded by both the judge and a human."""
    agreement: Estimate | None = None
    """Share of those where the judge's met / not met equals the human's (exact interval)."""
    kappa: Estimate | None = None
    """Cohen's kappa (bootstrap interval); absent or NaN-free only when both verdicts vary."""


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
    """A cascade's verdicts: each judge's calls, tokens and cost (`counts` and `cost` add them up)."""
