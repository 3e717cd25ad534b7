"""What one `judge(...)` call returns in a test: the verdict, read from the run it made."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from judgekit.api import Prepared

Kind = Literal["pointwise", "pairwise"]


@dataclass(frozen=True)
class Verdict:
    """One judged output. True when it passed: a score of at least `min_score` (pointwise), or
    not a loss against the baseline (pairwise: wins and ties pass). An output without a valid
    verdict (unscored) or whose call failed is never a pass, and never a score of zero."""

    kind: Kind
    status: Literal["scored", "unscored", "error"]
    score: float | None
    """Pointwise: the judge's score. Pairwise: the candidate's credit (win 1, tie 0.5, loss 0)."""
    min_score: float | None
    judge: str
    explanation: str
    """The judge's raw answer (or the error), for the failure message."""

    @property
    def passed(self) -> bool:
        if self.score is None:
            return False
        return self.score >= self.min_score if self.min_score is not None else self.score > 0

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        if self.status != "scored":
            head = f"{self.status} (no valid verdict)" if self.status == "unscored" else "judge call failed"
        elif self.kind == "pairwise":
            head = {1.0: "win", 0.5: "tie", 0.0: "loss"}.get(self.score or 0.0, f"credit {self.score}")
            head += " against the baseline"
        else:
            head = f"score {self.score:g} {'>=' if self.passed else '<'} min_score {self.min_score:g}"
        text = " ".join(self.explanation.split())
        return f"<judgekit {self.kind} verdict: {head}; {self.judge} said: {text[-300:]!r}>"


def check_min_score(prepared: Prepared, min_score: float) -> None:
    from judgekit.errors import UsageError

    scale = prepared.template.meta.verdict.scale
    if scale is not None and not scale[0] <= min_score <= scale[1]:
        raise UsageError(
            f"min_score {min_score:g} is outside the scale of template {prepared.template.name} "
            f"({scale[0]:g} to {scale[1]:g})"
        )


def verdict_of(kind: Kind, summary: Any, prepared: Prepared, min_score: float | None) -> Verdict:
    rows = [row for row in prepared.run_dir.load_judgments() if row.role == "judge"]
    explanation = "\n".join((row.completion.text if row.completion else row.reason) or "" for row in rows)
    metrics = summary.pointwise.mean if kind == "pointwise" else summary.pairwise.win_rate
    if summary.counts.errors:
        status: Literal["scored", "unscored", "error"] = "error"
    else:
        status = "scored" if metrics is not None and metrics.n else "unscored"
    score = metrics.value if status == "scored" else None
    return Verdict(kind, status, score, min_score, str(prepared.spec), explanation)
