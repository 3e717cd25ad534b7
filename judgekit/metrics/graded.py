"""Graded pairwise verdicts (A>>B, A>B, A=B, B>A, B>>A): per-grade counts and vote-weighted win rates.

A graded template says how strongly the judge prefers one answer. Arena-Hard counts a strong
preference as several votes (three unless the template or --strong-weight says otherwise) and
a plain preference or a tie as one. Each judged order of an item is one game: under
--positions swap an item plays two games, whatever --order-disagreement makes of its single
verdict. An item's credit for A is the weighted share of its games' votes, and its weight the
votes it cast; a win rate is the weighted mean of the credits, so it equals the share of all
votes A won, ties counting one half.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from judgekit.manifest import RunManifest
from judgekit.schema import DEFAULT_STRONG_WEIGHT, Judgment, Label, VerdictSpec
from judgekit.stats.weighted import weighted_share
from judgekit.summary import GradedMetrics

GRADES = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
_GRADE: dict[tuple[Label, bool], str] = {
    ("A", True): "A>>B",
    ("A", False): "A>B",
    ("tie", False): "A=B",
    ("tie", True): "A=B",
    ("B", False): "B>A",
    ("B", True): "B>>A",
}
_CREDIT = {"A>>B": 1.0, "A>B": 1.0, "A=B": 0.5, "B>A": 0.0, "B>>A": 0.0}
_LABEL_CREDIT = {"A": 1.0, "tie": 0.5, "B": 0.0}


def grade(verdict: Label, strong: bool) -> str:
    """The grade of a verdict about the dataset's answers (A is answer_a)."""
    return _GRADE[(verdict, strong)]


def votes(one: str, strong_weight: float) -> float:
    """How many votes a verdict of this grade counts for."""
    return strong_weight if one in ("A>>B", "B>>A") else 1.0


def item_credit(grades: Sequence[str], strong_weight: float) -> tuple[float, float]:
    """(A's share of the item's votes, the item's votes) over its games."""
    weights = [votes(one, strong_weight) for one in grades]
    total = sum(weights)
    return sum(weight * _CREDIT[one] for one, weight in zip(grades, weights, strict=True)) / total, total


def comparison_credits(
    outcomes: Sequence[tuple[Label | None, Sequence[str] | None]], strong_weight: float | None
) -> tuple[list[float], list[float] | None]:
    """Each scored comparison's credit for A (from its (verdict, grades)) and, when the run is
    graded and every comparison carries grades, the votes each counts for (None otherwise)."""
    graded = strong_weight is not None and all(grades for _, grades in outcomes)
    if not graded or strong_weight is None:
        return [_LABEL_CREDIT[str(verdict)] for verdict, _ in outcomes], None
    credits = [item_credit(grades or (), strong_weight) for _, grades in outcomes]
    return [value for value, _ in credits], [weight for _, weight in credits]


def grades_of(*rows: Judgment) -> tuple[str, ...] | None:
    """The grades of an item's judge rows; None unless every row carries a graded verdict."""
    found = tuple(grade(row.verdict, row.strong) for row in rows if row.verdict is not None and row.strong is not None)
    return found if len(found) == len(rows) else None


def graded_metrics(
    item_grades: Sequence[Sequence[str] | None], strong_weight: float, *, resamples: int, seed: int
) -> GradedMetrics:
    """Counts per grade and the vote-weighted win rate of A over the scored items' games (the
    grades of each scored item; None for an item read without grades)."""
    tally = Counter(one for grades in item_grades if grades for one in grades)
    credits = [item_credit(grades, strong_weight) for grades in item_grades if grades]
    return GradedMetrics(
        strong_weight=strong_weight,
        counts={name: tally[name] for name in GRADES},
        win_rate=weighted_share(
            [value for value, _ in credits], [weight for _, weight in credits], resamples=resamples, seed=seed
        ),
    )


def strong_weight_of(manifest: RunManifest) -> float | None:
    """The votes a strong preference counts for in a graded run (--strong-weight, else the
    template's strong_weight, else 3); None when the run's template is not graded, and for a
    panel's combined run, whose verdict per item is its rule's label (each member run is graded)."""
    if manifest.panel is not None:
        return None
    try:
        spec = VerdictSpec.model_validate(manifest.template.verdict)
    except ValueError:  # a run directory from before the verdict was recorded
        return None
    if not spec.graded:
        return None
    return manifest.config.strong_weight or spec.strong_weight or DEFAULT_STRONG_WEIGHT
