"""The summary's figures against human labels: agreement, correlation, calibration, per-order
accuracy, the human-anchored (PPI++) estimates, and a checklist criterion's agreement."""

from __future__ import annotations

from pydantic import BaseModel, Field

from judgekit.stats.intervals import Estimate


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
    when they did not); a checklist panel's: panel votes per criterion."""
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


class CriterionHumans(BaseModel):
    """One checklist criterion against a human's verdicts on it."""

    n: int
    """Criteria graded by both the judge and a human."""
    agreement: Estimate | None = None
    """Share of those where the judge's met / not met equals the human's: exact Clopper-Pearson interval
    for one criterion; pooled over criteria, Korn-Graubard's interval clustered by item."""
    kappa: Estimate | None = None
    """Cohen's kappa (bootstrap interval over items, each with all its criteria; n the items); absent or
    NaN-free only when both verdicts vary."""
