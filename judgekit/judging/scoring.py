"""How a judge's verdict becomes a number: `--score-method auto|parse|logprobs|samples`.

- parse: the verdict the judge wrote.
- logprobs: the allowed values' probabilities at the verdict token (from the provider's top
  log-probabilities, renormalised over valid values) give a probability-weighted score, or
  P(A), P(B), P(tie) for a pairwise verdict. The mass that fell on valid values is reported.
- samples: the judge answers `--samples N` times (G-Eval's default is 20) at `--temperature`
  (1 unless given); the verdict is the mean score, or the share of each pairwise outcome. In one
  request (`n`) where the backend allows it, otherwise one request per sample.
- auto: logprobs where the backend returns them, samples otherwise.

A method the backend cannot serve falls back to one it can, with a warning that is printed
when the run starts and kept in the summary: never silently. A fall back to samples the user did
not ask for (no `--score-method samples`, no `--samples`) multiplies every judge call by the
number of samples; `multiplied_estimate` says by how much, and `judgekit eval` asks before
such a run starts (`--yes` answers for it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from judgekit.backends.base import Capabilities
from judgekit.judging.pricing import Prices, format_usd, worst_cost
from judgekit.schema import JudgeRequest, Judgment, SamplingParams, ScoreMethod
from judgekit.store.rundir import latest_rows
from judgekit.summary import ScoringInfo

MethodChoice = ScoreMethod
Method = Literal["parse", "logprobs", "samples"]

DEFAULT_SAMPLES = 20
"""Samples per call under the samples method (G-Eval's n = 20)."""
SAMPLE_TEMPERATURE = 1.0
"""Sampling temperature when --temperature is not given (G-Eval's)."""
TOP_LOGPROBS = 20
"""Alternatives asked for at each token (the most OpenAI's API returns)."""


@dataclass(frozen=True)
class Scoring:
    """The resolved score method of a run and what it changes in each judge request."""

    requested: MethodChoice
    method: Method
    samples: int = 1
    """Samples per judge call (1 unless method is samples)."""
    in_one_request: bool = True
    """samples: n samples in one request (the backend supports n > 1), else one request each."""
    temperature: float | None = None
    """Temperature for judge calls under samples (None: the template's or --temperature)."""
    top_logprobs: int | None = None
    vary_seed: bool = False
    """Separate sample requests each get their own seed (the backend honours seeds)."""
    warnings: tuple[str, ...] = ()
    """Fallbacks the user should know about (also kept in the summary)."""
    info: tuple[str, ...] = field(default=(), compare=False)
    """What was chosen, for the start of the run."""
    multiplied: bool = False
    """The method fell back to samples nobody asked for (auto or logprobs was requested, with
    no --samples): each judge call costs `samples` answers, which the user must agree to."""

    def apply(self, params: SamplingParams) -> SamplingParams:
        """A judge request's sampling parameters under this method."""
        if self.method == "logprobs":
            return params.model_copy(update={"logprobs": True, "top_logprobs": self.top_logprobs})
        if self.method == "samples":
            update: dict[str, Any] = {"n": self.samples if self.in_one_request else 1}
            if self.temperature is not None:
                update["temperature"] = self.temperature
            return params.model_copy(update=update)
        return params

    def describe(self) -> dict[str, Any]:
        """What identifies the method in the manifest (part of the run id)."""
        return {
            "requested": self.requested,
            "method": self.method,
            "samples": self.samples if self.method == "samples" else None,
            "sample_requests": ("one" if self.in_one_request else "separate") if self.method == "samples" else None,
            "warnings": list(self.warnings),
        }


def choose(
    requested: MethodChoice,
    capabilities: Capabilities,
    provider: str,
    *,
    samples: int = DEFAULT_SAMPLES,
    temperature: float | None = None,
    score_pair_templates: Iterable[str] = (),
) -> Scoring:
    """Resolve the score method for a backend; `score_pair_templates` write two scores per verdict."""
    warnings: list[str] = []
    pairs = sorted(score_pair_templates)
    method: Method
    if requested == "parse":
        return Scoring(requested, "parse")
    if requested in ("auto", "logprobs"):
        if pairs:
            if requested == "logprobs":
                warnings.append(
                    f"template {pairs[0]} writes two scores in one verdict, which token probabilities cannot "
                    f"weigh; --score-method logprobs falls back to the mean of {samples} samples"
                )
            method = "samples"
        elif capabilities.logprobs:
            method = "logprobs"
        else:
            if requested == "logprobs":
                warnings.append(
                    f"the {provider} backend returns no token log-probabilities; --score-method logprobs "
                    f"falls back to the mean of {samples} samples"
                )
            method = "samples"
    else:
        method = "samples"
    if method == "logprobs":
        top = min(TOP_LOGPROBS, capabilities.max_top_logprobs or TOP_LOGPROBS)
        info = f"score method: logprobs (verdicts weighted by the probabilities of the top {top} tokens)"
        return Scoring(requested, "logprobs", top_logprobs=top, warnings=tuple(warnings), info=(info,))
    heat = SAMPLE_TEMPERATURE if temperature is None else temperature
    if heat == 0 and samples > 1:
        warnings.append(
            "sampling at temperature 0 makes the samples (nearly) identical; leave --temperature unset "
            f"to sample at {SAMPLE_TEMPERATURE:g}, as G-Eval does"
        )
    how = "in one request" if capabilities.n else "as separate requests"
    info = f"score method: samples (mean of {samples} samples per judge call at temperature {heat:g}, {how})"
    return Scoring(
        requested,
        "samples",
        samples=samples,
        in_one_request=capabilities.n,
        temperature=heat,
        vary_seed=capabilities.seed and not capabilities.n,
        warnings=tuple(warnings),
        info=(info,),
    )


def multiplied_estimate(scoring: Scoring, per_item: list[JudgeRequest], items: int, prices: Prices | None) -> str:
    """One line: what a run under a multiplying fallback asks for, against one answer per call.

    `per_item` holds one item's judge requests under the method (their `n` says whether the
    samples travel in one request); the line scales them to `items` items.
    """
    calls_count = len(per_item) * items
    requests = calls_count * (1 if scoring.in_one_request else scoring.samples)
    tokens = sum(request.params.max_tokens for request in per_item) * items
    line = (
        f"--score-method {scoring.requested} falls back to {scoring.samples} samples per judge call: "
        f"{calls_count:,} judge calls send {requests:,} requests for up to {tokens * scoring.samples:,} output "
        f"tokens (one answer each: {calls_count:,} requests, up to {tokens:,} output tokens)"
    )
    if prices is None:
        return line
    per_call = 1 if scoring.in_one_request else scoring.samples
    worst = sum(worst_cost(prices, request) for request in per_item) * items * per_call
    single = sum(worst_cost(prices, _one_answer(request)) for request in per_item) * items
    return f"{line}; at most {format_usd(worst)} instead of {format_usd(single)}"


def _one_answer(request: JudgeRequest) -> JudgeRequest:
    return request.model_copy(update={"params": request.params.model_copy(update={"n": 1})})


def scoring_info(described: dict[str, Any] | None, rows: Iterable[Judgment]) -> ScoringInfo | None:
    """The summary's account of the score method, from the manifest and the latest judge rows."""
    if not described:
        return None
    latest = [row for row in latest_rows(rows).values() if row.role == "judge" and row.status == "ok"]
    by_method = Counter(row.method or "parse" for row in latest)
    masses = [row.valid_mass for row in latest if row.valid_mass is not None]
    info = ScoringInfo(
        requested=str(described.get("requested")),
        method=str(described.get("method")),
        samples=described.get("samples"),
        sample_requests=described.get("sample_requests"),
        verdicts_by_method=dict(sorted(by_method.items())),
        valid_mass=round(sum(masses) / len(masses), 4) if masses else None,
        valid_mass_min=round(min(masses), 4) if masses else None,
        mean_probabilities=_mean_probabilities(latest),
        notes=list(described.get("warnings") or []),
    )
    return info


def _mean_probabilities(rows: list[Judgment]) -> dict[str, float] | None:
    """Mean P(A), P(B), P(tie) per item (both orders of a swapped item averaged first)."""
    by_item: dict[str, list[dict[str, float]]] = {}
    for row in rows:
        if row.verdict is not None and row.probabilities:
            by_item.setdefault(row.item_id, []).append(row.probabilities)
    if not by_item:
        return None
    labels = ("A", "B", "tie")
    totals = dict.fromkeys(labels, 0.0)
    for distributions in by_item.values():
        for label in labels:
            totals[label] += sum(d.get(label, 0.0) for d in distributions) / len(distributions)
    return {label: round(total / len(by_item), 4) for label, total in totals.items()}
