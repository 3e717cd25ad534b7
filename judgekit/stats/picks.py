"""Best-of-N picks: how often each candidate is chosen among the answers it competed with.

Each scored item offers a set of candidates (the models behind its answers) and the judge
picks one. A candidate's pick rate is the share of the items it was offered in where it was
picked, with the exact (Clopper-Pearson) interval of a proportion: items are independent, and
the picks of one item are not (they sum to one), so each candidate gets its own binomial
interval and no joint claim is made. With N answers per item, a judge without preference picks
each about 1/N of the time (`chance`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from judgekit.stats.intervals import Estimate
from judgekit.stats.proportions import proportion_estimate


class CandidatePicks(BaseModel):
    """One candidate (model) of a listwise run."""

    name: str
    offered: int
    """Scored items whose answers included this candidate."""
    picked: int
    pick_rate: Estimate | None
    """picked / offered, with its exact 95% interval."""
    chance: float | None = None
    """The mean of 1/N over the items it was offered in: the pick rate of a judge without preference."""


class ListwiseMetrics(BaseModel):
    """What a listwise (best-of-N) run measured."""

    candidates: list[CandidatePicks] = Field(default_factory=list)
    """Ranked by pick rate, highest first."""
    answers_per_item: list[int] = Field(default_factory=list)
    """The distinct numbers of answers per item."""
    combine: str | None = None
    """How an item's calls (rotations under --positions swap) became one pick."""
    p_first: Estimate | None = None
    """Share of scored calls whose pick was the answer shown first (chance: `first_chance`)."""
    first_chance: float | None = None
    rotation_agreement: Estimate | None = None
    """Under --positions swap: share of items whose rotations all picked the same answer."""


def candidate_picks(offered: Sequence[Sequence[str]], picked: Sequence[str]) -> list[CandidatePicks]:
    """Per candidate, over scored items: `offered[i]` the candidates of item i, `picked[i]` its pick."""
    offers: Counter[str] = Counter()
    picks: Counter[str] = Counter(picked)
    chance: dict[str, float] = {}
    for names, pick in zip(offered, picked, strict=True):
        if pick not in names:
            raise ValueError(f"pick {pick!r} is not among the item's candidates")
        for name in names:
            offers[name] += 1
            chance[name] = chance.get(name, 0.0) + 1.0 / len(names)
    rows = [
        CandidatePicks(
            name=name,
            offered=offers[name],
            picked=picks[name],
            pick_rate=proportion_estimate(float(picks[name]), offers[name]),
            chance=chance[name] / offers[name],
        )
        for name in offers
    ]
    rows.sort(key=lambda row: (-(row.pick_rate.value if row.pick_rate else 0.0), row.name))
    return rows
