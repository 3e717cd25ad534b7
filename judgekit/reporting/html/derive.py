"""Numbers the report shows that summary.json does not hold: they need the items themselves.

Everything here is computed from a run directory's items and item outcomes (the same outcomes
`aggregate` computes), with the run's own bootstrap settings, so the page agrees with the
summary wherever both show a number:

- win rate per model when a pairwise dataset holds answers of more than two models,
- the judge's verdict (or score) against answer length, in equal-count bins with 95% CIs,
- judge scores against human scores as a table of counts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from judgekit.choices import DEFAULT_RESAMPLES
from judgekit.metrics.items import ItemFacts, ItemOutcome
from judgekit.stats.agreement import OUTCOME_VALUE
from judgekit.stats.intervals import Estimate, mean_estimate
from judgekit.stats.proportions import share


@dataclass(frozen=True)
class Bootstrap:
    resamples: int = DEFAULT_RESAMPLES
    seed: int = 0


def model_win_rates(
    facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome], bootstrap: Bootstrap
) -> dict[str, Estimate]:
    """Each model's share of the pairs it took part in that it won (ties count one half).

    Only items naming two different models count; models are ordered by win rate, best first.
    """
    credits: dict[str, list[float]] = defaultdict(list)
    for fact, outcome in zip(facts, outcomes, strict=True):
        if outcome.verdict is None or not fact.model_a or not fact.model_b or fact.model_a == fact.model_b:
            continue
        credit_a = OUTCOME_VALUE[outcome.verdict]
        credits[fact.model_a].append(credit_a)
        credits[fact.model_b].append(1.0 - credit_a)
    rates = {model: estimate for model, values in credits.items() if (estimate := share(values)) is not None}
    return dict(sorted(rates.items(), key=lambda entry: (-entry[1].value, entry[0])))


@dataclass(frozen=True)
class LengthBin:
    """Items whose x (a length or a length difference) falls in [low_edge, high_edge]."""

    x: float
    """The median x of the bin's items (where the bin is drawn)."""
    low_edge: float
    high_edge: float
    estimate: Estimate
    """Mean y of the bin's items with its 95% CI."""


def equal_count_bins(
    points: Sequence[tuple[float, float]],
    bootstrap: Bootstrap,
    *,
    max_bins: int = 6,
    min_per_bin: int = 10,
    shares: bool = False,
) -> list[LengthBin]:
    """Split (x, y) points, ordered by x, into up to `max_bins` bins of nearly equal size.

    Each bin holds at least `min_per_bin` points (fewer points give fewer bins, and at least
    one bin when there are any points). Equal counts keep every bin's interval about as wide,
    which equal-width bins over long-tailed length differences would not. With `shares` the y
    values are credits (1, 1/2, 0) and each bin gets the exact interval of a proportion, as the
    summary's win rate does; otherwise a bootstrap interval of the mean.
    """
    if not points:
        return []
    ordered = sorted(points, key=lambda point: point[0])
    count = max(1, min(max_bins, len(ordered) // min_per_bin))
    size, larger = divmod(len(ordered), count)  # the first `larger` bins get one point more
    bins = []
    start = 0
    for index in range(count):
        stop = start + size + (1 if index < larger else 0)
        chunk = ordered[start:stop]
        start = stop
        xs = [x for x, _ in chunk]
        ys = [y for _, y in chunk]
        estimate = share(ys) if shares else mean_estimate(ys, resamples=bootstrap.resamples, seed=bootstrap.seed)
        assert estimate is not None
        bins.append(LengthBin(x=_median(xs), low_edge=xs[0], high_edge=xs[-1], estimate=estimate))
    return bins


def _median(values: Sequence[float]) -> float:
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def pairwise_length_points(facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome]) -> list[tuple[float, float]]:
    """(length of A - length of B in characters, A's credit: 1 win, 0.5 tie, 0 loss) per scored item."""
    return [
        (float(fact.length_a - fact.length_b), OUTCOME_VALUE[outcome.verdict])
        for fact, outcome in zip(facts, outcomes, strict=True)
        if outcome.verdict is not None
    ]


def pointwise_length_points(facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome]) -> list[tuple[float, float]]:
    """(answer length in characters, judge score) per scored item."""
    return [
        (float(fact.length_a), outcome.score)
        for fact, outcome in zip(facts, outcomes, strict=True)
        if outcome.score is not None
    ]


def score_label(score: float) -> str:
    """A score as the summary's distribution writes it: rounded to 2 decimals, no trailing .0."""
    rounded = round(score, 2)
    return str(int(rounded)) if float(rounded).is_integer() else str(rounded)


@dataclass(frozen=True)
class CrossTab:
    rows: list[str]
    """Human scores, lowest first."""
    columns: list[str]
    """Judge scores, lowest first."""
    counts: list[list[int]]
    """counts[row][column]: items with that human score and that judge score."""


def score_pairs(facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome]) -> list[tuple[float, float]]:
    """(human score, judge score) for every item that has both."""
    return [
        (fact.human_score, outcome.score)
        for fact, outcome in zip(facts, outcomes, strict=True)
        if fact.human_score is not None and outcome.score is not None
    ]


def cross_tab(pairs: Sequence[tuple[float, float]], *, max_values: int = 12) -> CrossTab | None:
    """Human against judge scores as counts; None when either side takes more than `max_values` values."""
    rows = sorted({score_label(human) for human, _ in pairs}, key=float)
    columns = sorted({score_label(judge) for _, judge in pairs}, key=float)
    if not pairs or len(rows) > max_values or len(columns) > max_values:
        return None
    counts = [[0] * len(columns) for _ in rows]
    row_index = {label: index for index, label in enumerate(rows)}
    column_index = {label: index for index, label in enumerate(columns)}
    for human, judge in pairs:
        counts[row_index[score_label(human)]][column_index[score_label(judge)]] += 1
    return CrossTab(rows, columns, counts)


@dataclass(frozen=True)
class ScoreScales:
    """The judge's score scale and the range the data's human scores cover, for comparing the two.

    The data does not declare the human scale, so the page takes the range its human scores
    actually cover, and says so. The two count as one scale when the human scores lie inside
    the judge's scale and reach past its middle: 1-5 human scores against a 1-10 judge are two
    scales (a 4 means "good" to one and "poor" to the other), 2-5 against 1-5 are one.
    """

    judge: tuple[float, float] | None
    human: tuple[float, float] | None

    @classmethod
    def of(cls, judge: tuple[float, float] | None, facts: Sequence[ItemFacts]) -> ScoreScales:
        humans = [fact.human_score for fact in facts if fact.human_score is not None]
        return cls(judge, (min(humans), max(humans)) if humans else None)

    @property
    def same(self) -> bool:
        if self.judge is None or self.human is None:
            return False
        (low, high), (human_low, human_high) = self.judge, self.human
        return low <= human_low and human_high <= high and human_high > (low + high) / 2

    @property
    def comparable(self) -> bool:
        """Whether judge and human scores can be put on one range (0 = bottom, 1 = top of each scale)."""
        if self.same:
            return True
        return (
            self.judge is not None
            and self.human is not None
            and self.judge[1] > self.judge[0]
            and self.human[1] > self.human[0]
        )

    def gap(self, judge: float, human: float) -> float | None:
        """judge - human: in score points on one scale, else in shares of each scale; None if not comparable."""
        if self.same:
            return judge - human
        if not self.comparable:
            return None
        assert self.judge is not None and self.human is not None
        return (judge - self.judge[0]) / (self.judge[1] - self.judge[0]) - (human - self.human[0]) / (
            self.human[1] - self.human[0]
        )

    def describe(self) -> str:
        """A sentence naming both scales."""
        if self.human is None:
            return ""
        human = f"Human scores run from {self.human[0]:g} to {self.human[1]:g} in this data"
        if self.judge is None:
            return f"{human}; the judge's scale is not known."
        scale = f"{self.judge[0]:g}–{self.judge[1]:g}"
        if self.same:
            return f"{human}, on the judge's {scale} scale."
        taken = ", taken as their scale" if self.comparable else ""
        return f"{human}{taken}; the judge scores on {scale}."

    def describe_gap(self) -> str:
        """How the item table's judge − human column reads, or why it is left out."""
        if self.human is None:
            return ""
        if self.same:
            return "The judge − human column is in score points."
        if not self.comparable:
            return "The two cannot be put on one range, so the table does not subtract them."
        return (
            "The judge − human column compares each score's place on its own scale (0% the bottom, 100% the top), "
            "in percentage points."
        )
