"""The summary's figures on how a run judged: its score method, cost, stages (a cascade's or a
panel's judges), the confidence of its verdicts and what `--positions adaptive` spent."""

from __future__ import annotations

from pydantic import BaseModel, Field

from judgekit.stats.intervals import Estimate


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
    """One judge of a cascade (the items it judged, the threshold it kept verdicts at, its calls and
    cost) or of a panel (`member`: it judged every item; its calls and cost)."""

    stage: int
    judge: str
    member: bool = False
    """A panel's judge rather than a cascade's stage."""
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

    @property
    def label(self) -> str:
        """How reports name it: "stage 2 openai/gpt-4o" for a cascade, the judge alone in a panel."""
        return self.judge if self.member else f"stage {self.stage} {self.judge}"


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
