"""Graded pairwise verdicts (A>>B, A>B, A=B, B>A, B>>A): per-grade counts and vote-weighted win rates.

A graded template says how strongly the judge prefers one answer. Arena-Hard counts a strong
preference as several votes (three unless the template or --strong-weight says otherwise) and
a plain preference or a tie as one. Each judged order of an item is one game: under
--positions swap an item plays two games, whatever --order-disagreement makes of its single
verdict. An item's credit for A is the weighted share of its games' votes, and its weight the
votes it cast; a win rate is the weighted mean of the credits, so it equals the share of all
votes A won, ties counting one half.

A panel's combined verdict (`compare.panel`) keeps a grade when every judge that voted gave a
graded verdict: its direction is the panel's verdict (a tie is A=B), and it is strong only when
more than half of the judges whose own verdict has that direction said strong, a judge saying
strong when more than half of its games (both, under swap) carry a strong grade. The panel plays
one game per item, so its vote-weighted win rate and Bradley-Terry strengths count one
(strong_weight or 1 votes) per item.
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


def panel_grade(verdict: Label, members: Sequence[tuple[Label | None, Sequence[str] | None]]) -> str | None:
    """The grade of a panel's verdict from its voting judges' (verdict, grades); None unless
    every one of them carries grades (see the module docstring)."""
    if not members or any(not grades for _, grades in members):
        return None
    if verdict == "tie":
        return grade("tie", False)
    strong_grade = grade(verdict, True)
    behind = [grades or () for own, grades in members if own == verdict]
    strong = sum(1 for grades in behind if 2 * sum(one == strong_grade for one in grades) > len(grades))
    return grade(verdict, 2 * strong > len(behind))


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
    template's strong_weight, else 3); None when the run's template is not graded. A panel's
    combined run holds the first member's record: its judges share the template and options."""
    try:
        spec = VerdictSpec.model_validate(manifest.template.verdict)
    except ValueError:  # a run directory from before the verdict was recorded
        return None
    if not spec.graded:
        return None
    return manifest.config.strong_weight or spec.strong_weight or DEFAULT_STRONG_WEIGHT
