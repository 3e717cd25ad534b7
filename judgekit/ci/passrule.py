"""What "this item passed" means, shared by `--min-pass-rate`, JUnit test cases and reports.

- Pairwise runs: the candidate is answer A. An item fails when the judge preferred B (A lost);
  a win or a tie passes.
- Pointwise runs with `--pass-score N`: an item passes when its score is at least N.
- Pointwise pass/fail templates (a `choice` verdict with exactly two values, e.g.
  `{PASS: 1, FAIL: 0}`), without `--pass-score`: an item passes when it got the higher value.
  A probability-weighted score passes when it is nearer the pass value than the fail value.
- Any other pointwise template without `--pass-score`: no item can fail on its score
  (`decides` is False), so `--min-pass-rate` asks for `--pass-score`.

An unscored, failed or pending item neither passes nor fails: it is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from judgekit.manifest import RunManifest
from judgekit.metrics.distribution import pass_fail_values, passes
from judgekit.metrics.items import ItemOutcome


@dataclass(frozen=True)
class RunFacts:
    """What the gates need to know about a run before or after it is judged (from run.json)."""

    kind: str
    template: str
    verdict: dict[str, Any]
    positions: str
    has_human_labels: bool
    has_human_scores: bool
    checklist: bool = False
    """The items are graded on checklist criteria."""
    panel: bool = False
    """The run is a panel's that averaged its judges' scores (`--panel-rule mean`): it holds no
    per-criterion verdicts of its own."""

    @classmethod
    def of(cls, manifest: RunManifest) -> RunFacts:
        return cls(
            kind=manifest.kind,
            template=manifest.template.name or "?",
            verdict=dict(manifest.template.verdict),
            positions=manifest.config.positions,
            has_human_labels=manifest.dataset.has_human_labels,
            has_human_scores=manifest.dataset.has_human_scores,
            checklist=manifest.dataset.has_checklists,
            panel=manifest.panel is not None and manifest.panel.rule == "mean",
        )

    @property
    def pass_fail_values(self) -> tuple[float, float] | None:
        """(fail value, pass value) when the template is a pointwise pass/fail template."""
        if self.kind != "pointwise" or self.verdict.get("type") != "choice" or self.checklist:
            return None  # a checklist item's score is a share of points, not a pass/fail verdict
        return pass_fail_values(self.verdict.get("choices"))

    @property
    def scale(self) -> tuple[float, float] | None:
        """The range scores can take: the template's scale, or the span of its choice values."""
        if self.verdict.get("scale"):
            low, high = self.verdict["scale"]
            return float(low), float(high)
        choices = self.verdict.get("choices") or {}
        if self.kind == "pointwise" and choices:
            values = [float(value) for value in choices.values()]
            return min(values), max(values)
        return None


@dataclass(frozen=True)
class PassRule:
    """Decides per item whether it passed; see the module docstring for the definition."""

    kind: str
    pass_score: float | None = None
    pass_fail: tuple[float, float] | None = None

    @classmethod
    def of(cls, facts: RunFacts, pass_score: float | None) -> PassRule:
        return cls(kind=facts.kind, pass_score=pass_score, pass_fail=facts.pass_fail_values)

    @property
    def decides(self) -> bool:
        """Whether a scored item can fail under this rule."""
        return self.kind == "pairwise" or self.pass_score is not None or self.pass_fail is not None

    def describe(self) -> str:
        if self.kind == "pairwise":
            return "an item fails when the judge preferred B (the candidate A lost); wins and ties pass"
        if self.pass_score is not None:
            return f"an item passes with a score of at least {self.pass_score:g}"
        if self.pass_fail is not None:
            return f"an item passes with the pass verdict ({self.pass_fail[1]:g})"
        if self.kind == "listwise":
            return "picks are not checked per item (a listwise run ranks models by how often each is picked)"
        return "scores are not checked per item (give --pass-score N to fail items scoring below N)"

    def passes(self, outcome: ItemOutcome) -> bool | None:
        """True or False for a scored item; None when it has no verdict or the rule cannot decide."""
        if outcome.status != "ok":
            return None
        if self.kind == "pairwise":
            return None if outcome.verdict is None else outcome.verdict != "B"
        if outcome.score is None:
            return None
        if self.pass_score is not None:
            return outcome.score >= self.pass_score
        if self.pass_fail is not None:
            return passes(outcome.score, *self.pass_fail)
        return None

    def failure_message(self, outcome: ItemOutcome) -> str:
        """One line saying why a failing item failed."""
        if self.kind == "pairwise":
            return "the judge preferred B over the candidate A"
        if self.pass_score is not None:
            return f"score {outcome.score:g} is below the pass score {self.pass_score:g}"
        return f"fail verdict (score {outcome.score:g})"
