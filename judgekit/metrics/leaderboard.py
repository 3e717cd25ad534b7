"""A leaderboard when pairwise data compares more than two systems.

Every item names the systems behind its two answers (`model_a`, `model_b`). With three or more
systems the run also ranks them: each system's share of comparisons won (ties count one half),
its Bradley-Terry strength with a bootstrap interval, and, when one system (the baseline) is in
every comparison as AlpacaEval's reference model is, each other system's win rate against it
with the length-controlled version beside it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TypeVar

from judgekit.stats import bradley_terry
from judgekit.stats.difficulty import DifficultyControlled, difficulty_controlled
from judgekit.stats.intervals import DEFAULT_RESAMPLES
from judgekit.stats.length_control import length_controlled
from judgekit.stats.proportions import share
from judgekit.stats.style_control import style_controlled
from judgekit.stats.weighted import weighted_share
from judgekit.summary import Leaderboard, LeaderboardRow

__all__ = ["Leaderboard", "LeaderboardRow", "build"]

Feature = TypeVar("Feature")
"""An answer's feature in a comparison (its length, its style counts)."""


def build(
    first: Sequence[str],
    second: Sequence[str],
    values: Sequence[float],
    length_a: Sequence[float],
    length_b: Sequence[float],
    *,
    weights: Sequence[float] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    style_a: Sequence[Sequence[int]] | None = None,
    style_b: Sequence[Sequence[int]] | None = None,
    instructions: Sequence[str] | None = None,
) -> Leaderboard | None:
    """The leaderboard of scored comparisons (values: the first system's credit); None for two systems.

    `weights` (graded verdicts): the votes each comparison counts for; win rates and strengths
    then weigh each comparison by them, and a comparison is a win, loss or tie by its credit."""
    systems = sorted(set(first) | set(second))
    if len(systems) < 3:
        return None
    votes = [1.0] * len(values) if weights is None else list(weights)
    credit: dict[str, list[float]] = defaultdict(list)
    weight: dict[str, list[float]] = defaultdict(list)
    for a, b, value, vote in zip(first, second, values, votes, strict=True):
        credit[a].append(value)
        credit[b].append(1.0 - value)
        weight[a].append(vote)
        weight[b].append(vote)
    everywhere = [name for name in systems if len(credit[name]) == len(values)]
    baseline = everywhere[0] if len(everywhere) == 1 else None
    notes: list[str] = []
    if weights is not None:
        notes.append(
            "graded verdicts: win rates and Bradley-Terry strengths count votes (a strong preference several); "
            "a length- or style-controlled win rate weighs each comparison once, "
            "with its share of the votes as its outcome"
        )
    strengths = bradley_terry.strengths(first, second, values, weights=weights, resamples=resamples, seed=seed)
    if strengths is None:
        notes.append(
            "Bradley-Terry strengths cannot be fitted: the comparisons do not link every system, "
            "or a system won or lost all of its comparisons"
        )
    rows = []
    for name in systems:
        own = credit[name]
        row = LeaderboardRow(
            system=name,
            rank=0,
            comparisons=len(own),
            wins=sum(value > 0.5 for value in own),
            losses=sum(value < 0.5 for value in own),
            ties=sum(value == 0.5 for value in own),
            win_rate=share(own)
            if weights is None
            else weighted_share(own, weight[name], resamples=resamples, seed=seed),
            strength=strengths.get(name) if strengths else None,
        )
        if baseline is not None and name != baseline:
            _against_baseline(row, name, first, second, values, length_a, length_b, resamples, seed)
            if style_a is not None and style_b is not None:
                _style_against_baseline(row, name, first, second, values, style_a, style_b, resamples, seed)
        rows.append(row)

    def order(row: LeaderboardRow) -> float:
        estimate = row.strength if strengths else row.win_rate
        return -(estimate.value if estimate is not None else float("-inf"))

    rows.sort(key=order)
    for rank, row in enumerate(rows, start=1):
        row.rank = rank
    difficulty = None
    if baseline is not None and instructions is not None:
        lengths = (length_a, length_b)
        difficulty = _with_difficulty(baseline, first, second, values, lengths, instructions, resamples, seed)
        for row in rows:
            if difficulty is not None and row.system in difficulty.win_rates:
                row.difficulty_controlled_win_rate = difficulty.win_rates[row.system]
    return Leaderboard(
        systems=len(systems),
        comparisons=len(values),
        baseline=baseline,
        ranked_by="strength" if strengths else "win_rate",
        rows=rows,
        notes=notes,
        difficulty=difficulty,
    )


def _with_difficulty(
    baseline: str,
    first: Sequence[str],
    second: Sequence[str],
    values: Sequence[float],
    lengths: tuple[Sequence[float], Sequence[float]],
    instructions: Sequence[str],
    resamples: int,
    seed: int,
) -> DifficultyControlled | None:
    """Every system against the baseline with a term per instruction (AlpacaEval's LC model)."""
    systems, asked, credit, own, base = [], [], [], [], []
    for a, b, value, la, lb, instruction in zip(first, second, values, *lengths, instructions, strict=True):
        mine = b == baseline
        systems.append(a if mine else b)
        asked.append(instruction)
        credit.append(value if mine else 1.0 - value)
        own.append(la if mine else lb)
        base.append(lb if mine else la)
    return difficulty_controlled(systems, asked, credit, own, base, resamples=resamples, seed=seed)


def _against_baseline(
    row: LeaderboardRow,
    name: str,
    first: Sequence[str],
    second: Sequence[str],
    values: Sequence[float],
    length_a: Sequence[float],
    length_b: Sequence[float],
    resamples: int,
    seed: int,
) -> None:
    """Length-controlled win rate of `name` against the baseline, from its own comparisons."""
    own_values, own_length, other_length = _from_side_of(name, first, second, values, length_a, length_b)
    fitted = length_controlled(own_values, own_length, other_length, resamples=resamples, seed=seed)
    if fitted is not None:
        row.length_controlled_win_rate = fitted.win_rate
        row.length_coefficient = fitted.length_coefficient


def _style_against_baseline(
    row: LeaderboardRow,
    name: str,
    first: Sequence[str],
    second: Sequence[str],
    values: Sequence[float],
    style_a: Sequence[Sequence[int]],
    style_b: Sequence[Sequence[int]],
    resamples: int,
    seed: int,
) -> None:
    """Style-controlled win rate of `name` against the baseline, from its own comparisons."""
    own_values, own_style, other_style = _from_side_of(name, first, second, values, style_a, style_b)
    row.style_controlled = style_controlled(own_values, own_style, other_style, resamples=resamples, seed=seed)


def _from_side_of(
    name: str,
    first: Sequence[str],
    second: Sequence[str],
    values: Sequence[float],
    feature_a: Sequence[Feature],
    feature_b: Sequence[Feature],
) -> tuple[list[float], list[Feature], list[Feature]]:
    """`name`'s comparisons seen from its side: its credit, its answer's feature, the other's."""
    own_values: list[float] = []
    own: list[Feature] = []
    other: list[Feature] = []
    for a, b, value, fa, fb in zip(first, second, values, feature_a, feature_b, strict=True):
        if a == name:
            own_values.append(value)
            own.append(fa)
            other.append(fb)
        elif b == name:
            own_values.append(1.0 - value)
            own.append(fb)
            other.append(fa)
    return own_values, own, other
