"""Quality gates: thresholds on a run's metrics that decide a CI job's exit code.

    --min-win-rate    win rate of A by verdicts, ties one half (graded runs too)   (pairwise)
    --min-score       mean score                                               (pointwise)
    --min-pass-rate   share of scored items that pass (see `passrule`)         (pointwise)
    --max-unscored    share of answered items with no valid verdict            (any run)
    --max-flip-rate   share of items whose verdict changed with the order      (pairwise, --positions swap)
    --min-agreement   agreement with human labels (pairwise) or Spearman's rho
                      with human scores (pointwise)                            (data with human labels)
    --max-position-bias  how far P(first shown preferred) lies from 50%         (pairwise, swap or random)
    --max-length-bias    |length bias given the human label| (`metrics.bias`)   (pairwise, swap or random,
                                                                                 human labels)

Rates (win rate, pass rate, unscored rate, flip rate, agreement) carry the exact Clopper-Pearson
interval; the mean score and Spearman's rho a bootstrap interval, which is absent on fewer than 10
items or on data without spread (all scores equal): see `judgekit.stats.intervals`.

Which number is compared with the threshold (`on_ci_bound`):

- "none" (default): the point estimate.
- "lower" (strict): a minimum must hold for the lower end of the 95% confidence interval and
  a maximum for its upper end. The gate passes only when the whole interval clears the
  threshold, so a lucky draw cannot pass it ("is it good enough, with confidence?").
- "upper" (lenient): the mirror image; the gate fails only when the whole interval misses the
  threshold, so an unlucky draw cannot fail it ("is it worse, with confidence?").

A metric that could not be measured (no scored item, or no interval when one is needed) fails
its gate: a gate never passes on missing evidence. Nor on thin evidence: a metric that rests on
fewer than `min_items` items (`--min-items`, default 10) fails its gate and says so. Ten is the
smallest sample on which the usual rule of thumb for a proportion (n·p ≥ 5 and n·(1 − p) ≥ 5)
can hold at p = ½; below it a 95% interval spans more than half the scale (3 of 3 wins has an
exact lower bound of 29%, 10 of 10 one of 69%).

Options that cannot apply to a run (a win rate on a pointwise run, agreement without human
labels) are usage errors raised by `check_options` before any model is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal

from pydantic import BaseModel

from judgekit.ci.passrule import PassRule, RunFacts
from judgekit.ci.runview import RunView
from judgekit.errors import UsageError
from judgekit.metrics.bias import deviation
from judgekit.stats.intervals import Estimate
from judgekit.stats.proportions import share
from judgekit.summary import GradedMetrics, HumanAgreement, HumanCorrelation

Bound = Literal["min", "max"]
CiBound = Literal["none", "lower", "upper"]
DEFAULT_MIN_ITEMS = 10
"""The fewest items a gated metric may rest on by default (see the module docstring)."""
_EPSILON = 1e-12
"""Float slack, so 0.1 + 0.2 against a threshold of 0.3 is not a spurious failure."""


@dataclass(frozen=True)
class GateOptions:
    """The thresholds a user asked for (None: not gated)."""

    min_win_rate: float | None = None
    min_score: float | None = None
    min_pass_rate: float | None = None
    max_unscored: float | None = None
    max_flip_rate: float | None = None
    min_agreement: float | None = None
    max_position_bias: float | None = None
    max_length_bias: float | None = None
    min_criterion_pass: tuple[tuple[str, float], ...] | None = None
    """Checklist runs: (criterion name, least pass rate) pairs; the name `*` gates every criterion."""
    pass_score: float | None = None
    """Not a gate: the score an item needs to pass (for --min-pass-rate and JUnit)."""
    on_ci_bound: CiBound = "none"
    min_items: int = DEFAULT_MIN_ITEMS
    """Not a gate: the fewest items a gated metric may rest on; a gate on fewer fails."""

    @property
    def any(self) -> bool:
        return any(getattr(self, name) is not None for name in _GATE_FIELDS)

    def given(self) -> list[str]:
        """The gate fields that were set (pass_score too: it changes what the reports count)."""
        names = [name for name in _GATE_FIELDS if getattr(self, name) is not None]
        return names + (["pass_score"] if self.pass_score is not None else [])

    def __post_init__(self) -> None:
        for name in ("min_win_rate", "min_pass_rate", "max_unscored", "max_flip_rate"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise UsageError(f"{_option(name)} {value:g}: rates are fractions from 0 to 1 (0.6 means 60%)")
        for name, top in (("max_position_bias", 0.5), ("max_length_bias", 1.0)):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= top:
                raise UsageError(f"{_option(name)} {value:g}: choose a distance from 0 to {top:g}")
        if self.min_criterion_pass is not None:
            from judgekit.ci.criterion_gates import normalised

            object.__setattr__(self, "min_criterion_pass", normalised(self.min_criterion_pass) or None)
        if self.on_ci_bound not in ("none", "lower", "upper"):
            raise UsageError(f"--on-ci-bound {self.on_ci_bound}: choose none, lower or upper")
        check_min_items(self.min_items)


_GATE_FIELDS = tuple(
    field.name for field in fields(GateOptions) if field.name.startswith(("min_", "max_")) and field.name != "min_items"
)


def check_min_items(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise UsageError(f"--min-items {value}: give the fewest items a gate may rest on, 1 or more")


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


LISTWISE_GATES = ("max_unscored",)
"""The gates a listwise (best-of-N) run can be held to: its metrics are per-model pick rates."""


def check_options(options: GateOptions, facts: RunFacts) -> None:
    """Raise UsageError for any option that cannot apply to this run (before judging)."""
    if facts.kind == "listwise":
        given = [_option(name) for name in options.given() if name not in LISTWISE_GATES]
        if given:
            raise UsageError(f"{', '.join(given)} cannot be used with a listwise run (only --max-unscored applies)")
    pairwise = facts.kind == "pairwise"
    if options.min_win_rate is not None and not pairwise:
        raise UsageError(
            "--min-win-rate applies to pairwise runs; this run is pointwise (use --min-score or --min-pass-rate)"
        )
    if options.min_score is not None and pairwise:
        raise UsageError("--min-score applies to pointwise runs; this run is pairwise (use --min-win-rate)")
    if options.pass_score is not None and pairwise:
        raise UsageError("--pass-score applies to pointwise runs; in a pairwise run an item fails when A loses")
    if options.min_pass_rate is not None:
        if pairwise:
            raise UsageError("--min-pass-rate applies to pointwise runs; this run is pairwise (use --min-win-rate)")
        if not PassRule.of(facts, options.pass_score).decides:
            raise UsageError(
                f"--min-pass-rate needs --pass-score N: template {facts.template} gives scores, "
                "and an item passes when its score is at least N"
            )
    scale = facts.scale
    for name in ("min_score", "pass_score"):
        value = getattr(options, name)
        if value is not None and scale is not None and not scale[0] <= value <= scale[1]:
            raise UsageError(
                f"{_option(name)} {value:g} is outside the scale of template {facts.template} "
                f"({scale[0]:g} to {scale[1]:g})"
            )
    if options.max_flip_rate is not None and (not pairwise or facts.positions != "swap"):
        raise UsageError(
            "--max-flip-rate needs a pairwise run with --positions swap (flips are measured only when "
            "both orders are judged)"
        )
    _check_bias_options(options, facts)
    if options.min_criterion_pass is not None:
        from judgekit.ci.criterion_gates import check_criterion_gates

        check_criterion_gates(facts.checklist, facts.panel)
    if options.min_agreement is not None:
        has_human = facts.has_human_labels if pairwise else facts.has_human_scores
        if not has_human:
            column = "human_label (or label)" if pairwise else "human_score"
            raise UsageError(f"--min-agreement needs human labels: the data has no {column} column")
        low = 0.0 if pairwise else -1.0
        if not low <= options.min_agreement <= 1.0:
            what = "agreement is a fraction from 0 to 1" if pairwise else "Spearman's rho lies from -1 to 1"
            raise UsageError(f"--min-agreement {options.min_agreement:g}: {what}")


def _check_bias_options(options: GateOptions, facts: RunFacts) -> None:
    for name in ("max_position_bias", "max_length_bias"):
        if getattr(options, name) is None:
            continue
        if facts.kind != "pairwise" or facts.positions not in ("swap", "random", "adaptive"):
            raise UsageError(
                f"{_option(name)} needs a pairwise run with --positions swap, random or adaptive (under fixed, "
                "A is always shown first and P(first) is not a bias estimate)"
            )
    if options.max_length_bias is not None and not facts.has_human_labels:
        raise UsageError(
            "--max-length-bias needs human labels (human_label or label): without them a preference for longer "
            "answers cannot be told apart from longer answers being better"
        )


class GateResult(BaseModel):
    """One gate's verdict, with everything needed to explain it in one line."""

    option: str
    """The command-line option, e.g. --min-win-rate."""
    metric: str
    bound: Bound
    threshold: float
    estimate: Estimate | None
    checked: float | None
    """The number compared with the threshold (the value, or the CI bound)."""
    checked_on: Literal["value", "lower bound", "upper bound"]
    passed: bool
    note: str | None = None
    """Why the metric could not be checked, when it could not."""
    too_few: str | None = None
    """Why the gate failed whatever its number: the metric rests on fewer than --min-items items."""
    percent: bool = True

    def format(self, number: float) -> str:
        return f"{number * 100:.1f}%" if self.percent else f"{number:.3g}"

    def measured(self) -> str:
        """The metric with its value, CI and n, e.g. 'win rate of A 41.3% [34.9%, 47.6%] (n=200)'."""
        if self.estimate is None:
            return f"{self.metric} not measured"
        shown = self.estimate.format(percent=self.percent, digits=3)
        return f"{self.metric} {shown} (n={self.estimate.n})"

    @property
    def clears(self) -> bool:
        """Whether the checked number meets the threshold (the gate may still fail on --min-items)."""
        if self.checked is None:
            return False
        if self.bound == "min":
            return self.checked >= self.threshold - _EPSILON
        return self.checked <= self.threshold + _EPSILON

    def line(self) -> str:
        """One line: option and threshold, metric, value, CI and the outcome."""
        head = f"{self.option} {self.format(self.threshold)}: {self.measured()}"
        thin = f"; {self.too_few}" if self.too_few else ""
        if self.note:
            return f"{head}: {self.note}{thin}"
        relation = (
            ("is at or above" if self.bound == "min" else "is at or below")
            if self.clears
            else ("is below" if self.bound == "min" else "is above")
        )
        if self.checked_on == "value":
            return f"{head} {relation} the threshold{thin}"
        assert self.checked is not None
        return f"{head}; its CI {self.checked_on} {self.format(self.checked)} {relation} the threshold{thin}"

    @property
    def reason(self) -> str | None:
        """Why the gate failed other than by its number, when it did (for one-cell reports)."""
        return "; ".join(text for text in (self.note, self.too_few) if text) or None


def evaluate(options: GateOptions, view: RunView) -> list[GateResult]:
    """Check every requested gate against a run; the order follows the options table."""
    summary, results = view.summary, []
    check = Checker(options.on_ci_bound, options.min_items)
    if options.min_win_rate is not None:
        win_rate = summary.pairwise.win_rate if summary.pairwise else None
        metric = win_rate_metric(summary.pairwise.graded if summary.pairwise else None)
        results.append(check("--min-win-rate", metric, "min", options.min_win_rate, win_rate))
    if options.min_score is not None:
        mean = summary.pointwise.mean if summary.pointwise else None
        results.append(check("--min-score", "mean score", "min", options.min_score, mean, percent=False))
    if options.min_pass_rate is not None:
        rule = PassRule.of(RunFacts.of(view.manifest), options.pass_score)
        results.append(check("--min-pass-rate", "pass rate", "min", options.min_pass_rate, pass_rate(view, rule)))
    if options.max_unscored is not None:
        results.append(check("--max-unscored", "unscored rate", "max", options.max_unscored, unscored_rate(view)))
    if options.max_flip_rate is not None:
        flip_rate = summary.bias.flip_rate if summary.bias else None
        results.append(check("--max-flip-rate", "flip rate", "max", options.max_flip_rate, flip_rate))
    if options.max_position_bias is not None:
        p_first = deviation(summary.bias.p_first, 0.5) if summary.bias else None
        results.append(
            check("--max-position-bias", "P(first) distance from 50%", "max", options.max_position_bias, p_first)
        )
    if options.max_length_bias is not None:
        length = deviation(summary.bias.length_vs_humans, 0.0) if summary.bias else None
        metric = "|length bias given the human label|"
        results.append(check("--max-length-bias", metric, "max", options.max_length_bias, length, percent=False))
    if options.min_agreement is not None:
        human = summary.human
        if isinstance(human, HumanCorrelation):
            results.append(
                check(
                    "--min-agreement",
                    "Spearman with humans",
                    "min",
                    options.min_agreement,
                    human.spearman,
                    percent=False,
                )
            )
        else:
            agreement = human.agreement if isinstance(human, HumanAgreement) else None
            results.append(check("--min-agreement", "agreement with humans", "min", options.min_agreement, agreement))
    if options.min_criterion_pass is not None:
        from judgekit.ci.criterion_gates import evaluate_criterion_gates

        results.extend(evaluate_criterion_gates(options.min_criterion_pass, summary, check))
    return results


def win_rate_metric(graded: GradedMetrics | None) -> str:
    """What --min-win-rate checks: the win rate of A by verdicts (ties one half), the summary's
    headline. On a graded run the summary also shows the win rate by votes (a strong preference
    counting several); the gate names the one it checked and shows the other beside it."""
    if graded is None:
        return "win rate of A"
    by_votes = "not measured" if graded.win_rate is None else f"{graded.win_rate.value * 100:.1f}%"
    return f"win rate of A by verdicts (by votes, not gated: {by_votes})"


@dataclass(frozen=True)
class Checker:
    """Compares one metric with its threshold under the --on-ci-bound rule, failing it when it
    rests on fewer than `min_items` items."""

    on_ci_bound: CiBound
    min_items: int = DEFAULT_MIN_ITEMS

    def __call__(
        self,
        option: str,
        metric: str,
        bound: Bound,
        threshold: float,
        estimate: Estimate | None,
        *,
        percent: bool = True,
    ) -> GateResult:
        checked_on: Literal["value", "lower bound", "upper bound"] = "value"
        note = None
        checked: float | None = None
        if estimate is None:
            note = "no scored item to measure it on, so the gate fails"
        elif self.on_ci_bound != "none":
            # Strict ("lower") takes the end of the interval that is harder to clear, lenient
            # ("upper") the end that is easier.
            low_end = (bound == "min") == (self.on_ci_bound == "lower")
            checked_on = "lower bound" if low_end else "upper bound"
            checked = estimate.low if low_end else estimate.high
            if checked is None:
                rule = f"--on-ci-bound {self.on_ci_bound}"
                why = estimate.no_interval or f"n={estimate.n}"
                note = f"no confidence interval ({why}), so the gate fails under {rule}"
        else:
            checked = estimate.value
        too_few = None
        if estimate is not None and estimate.n < self.min_items:
            too_few = f"n={estimate.n} is below --min-items {self.min_items}: too few to gate on, so the gate fails"
        result = GateResult(
            option=option,
            metric=metric,
            bound=bound,
            threshold=threshold,
            estimate=estimate,
            checked=checked,
            checked_on=checked_on,
            passed=False,
            note=note,
            too_few=too_few,
            percent=percent,
        )
        return result.model_copy(update={"passed": result.clears and too_few is None})


def pass_rate(view: RunView, rule: PassRule) -> Estimate | None:
    """Share of scored items that pass, with its exact (Clopper-Pearson) interval."""
    verdicts = [rule.passes(outcome) for outcome in view.outcomes]
    return share([1.0 if verdict else 0.0 for verdict in verdicts if verdict is not None])


def unscored_rate(view: RunView) -> Estimate | None:
    """Share of answered items (scored or unscored; failed calls are --max-errors' business)."""
    answered = [outcome.status for outcome in view.outcomes if outcome.status in ("ok", "unscored")]
    return share([1.0 if status == "unscored" else 0.0 for status in answered])


def failed(results: Sequence[GateResult]) -> list[GateResult]:
    return [result for result in results if not result.passed]
