"""Which items should humans label? A seeded random sample of the judged items (`judgekit labels plan`).

The human-anchored estimates (see `human_anchored`) are unbiased only over a random sample of
the items the judge scored, so the sample is drawn from those, with a seeded generator:

- `stratify="none"`: a simple random sample of `n` items;
- `stratify="category"`: `n` split over the categories in proportion to their size, at least two
  per category (so each category gets its own estimate), then a simple random sample within
  each. A small category is then sampled more heavily than a large one, which is why the
  labelling file and the merged dataset carry every item's stratum: the estimate weights each
  stratum by its share of the items, i.e. each label by the inverse of its chance of being drawn;
- `stratify="confidence"` (pairwise): the same over bands of the judge's confidence, with more
  labels per item where the judge is less sure (see `confidence_bands`). Bands are not in the
  data, so `labels merge` recomputes them from the run (`run_bands`) to give every row its band.

The labelling file is blind: no model names, only the texts to judge and an empty label field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from judgekit.errors import UsageError
from judgekit.inputs.datasets import Dataset, ReadOptions
from judgekit.metrics.confidence_bands import (
    DEFAULT_BANDS,
    band_weights,
    bands_by_id,
    confidence_bands,
    item_confidences,
)
from judgekit.metrics.outcomes import JudgedSet
from judgekit.schema import Item
from judgekit.stats.ppi import MIN_LABELLED
from judgekit.store.rundir import RunDir

Stratify = Literal["none", "category", "confidence"]
NO_CATEGORY = "(none)"
WHOLE = "all"


@dataclass
class Plan:
    """The drawn sample: the labelling file's rows and how they were allocated."""

    rows: list[dict[str, Any]]
    population: int
    """Scored items the sample was drawn from."""
    allocation: dict[str, tuple[int, int]]
    """stratum -> (items, drawn)."""


def allocate(
    sizes: dict[str, int], n: int, weights: dict[str, float] | None = None, what: str = "categories"
) -> dict[str, int]:
    """Labels per stratum: proportional to size (x weight), by largest remainders, at least two where possible."""
    scaled = {name: size * (1.0 if weights is None else weights[name]) for name, size in sizes.items()}
    total = sum(scaled.values())
    floors = {name: min(MIN_LABELLED, size) for name, size in sizes.items()}
    if sum(floors.values()) > n:
        raise UsageError(
            f"--n {n} is too few to stratify over {len(sizes)} {what} "
            f"(at least {MIN_LABELLED} each: --n {sum(floors.values())} or more)"
        )
    shares = {name: n * value / total for name, value in scaled.items()}
    counts = {name: max(floors[name], min(sizes[name], int(shares[name]))) for name in sizes}
    order = sorted(sizes, key=lambda name: (-(shares[name] - int(shares[name])), name))
    while sum(counts.values()) > n:  # the floors pushed past n: take back from the largest allotments
        name = max((name for name in counts if counts[name] > floors[name]), key=lambda name: counts[name])
        counts[name] -= 1
    while sum(counts.values()) < n:
        room = [name for name in order if counts[name] < sizes[name]]
        for name in room[: n - sum(counts.values())]:
            counts[name] += 1
    return counts


def plan_labels(
    judged: JudgedSet,
    items: Sequence[Item],
    *,
    n: int,
    seed: int = 0,
    stratify: Stratify = "none",
    scale: tuple[float, float] | None = None,
    bands: int = DEFAULT_BANDS,
) -> Plan:
    """Draw `n` of the scored items for humans to label (seeded), as labelling-file rows."""
    by_id = {item.id: item for item in items}
    pairs = [(fact, outcome) for fact, outcome in zip(judged.facts, judged.outcomes, strict=True)]
    scored = [fact for fact, outcome in pairs if outcome.status == "ok"]
    if n < 1:
        raise UsageError("--n must be at least 1")
    if n > len(scored):
        raise UsageError(f"--n {n} is more than the {len(scored)} items the judge scored")
    names, weights = _strata_names(judged, stratify, bands)
    strata: dict[str, list[str]] = {}
    for fact, name in zip(scored, names, strict=True):
        strata.setdefault(name, []).append(fact.id)
    sizes = {name: len(ids) for name, ids in strata.items()}
    if stratify == "none":
        counts = {WHOLE: n}
    else:
        counts = allocate(sizes, n, weights, "categories" if stratify == "category" else "confidence bands")
    rng = np.random.default_rng(seed)
    drawn: list[tuple[str, str]] = []
    for name in sorted(strata):
        picks = rng.choice(len(strata[name]), size=counts[name], replace=False)
        drawn.extend((strata[name][int(index)], name) for index in picks)
    order = rng.permutation(len(drawn))  # label in a random order, not the data's
    rows = [_row(by_id[drawn[int(index)][0]], drawn[int(index)][1], stratify, scale) for index in order]
    if stratify == "confidence":  # `labels merge` draws the same bands from the run again
        for row in rows:
            row["confidence_bands"] = bands
    allocation = {name: (len(strata[name]), counts[name]) for name in sorted(strata)}
    return Plan(rows=rows, population=len(scored), allocation=allocation)


def _strata_names(judged: JudgedSet, stratify: Stratify, bands: int) -> tuple[list[str], dict[str, float] | None]:
    """Each scored item's stratum, and the allocation weight of each stratum (None: by size alone)."""
    scored = [
        (fact, outcome) for fact, outcome in zip(judged.facts, judged.outcomes, strict=True) if outcome.status == "ok"
    ]
    if stratify == "category":
        return [fact.category or NO_CATEGORY for fact, _ in scored], None
    if stratify == "none":
        return [WHOLE] * len(scored), None
    if judged.kind != "pairwise":
        raise UsageError("--stratify confidence applies to pairwise runs (the confidence is in a verdict)")
    _, confidences = item_confidences([outcome for _, outcome in scored])
    names = confidence_bands(confidences, bands)
    return names, band_weights(names, confidences)


def _row(item: Item, stratum: str, stratify: Stratify, scale: tuple[float, float] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"id": item.id, "stratum": stratum, "stratified_by": None if stratify == "none" else stratify}
    if item.history:
        row["conversation"] = [message.model_dump() for message in item.history]
    row["question"] = item.question
    if item.kind == "pairwise":
        row.update(answer_a=item.answer_a, answer_b=item.answer_b, human_label=None)
    else:
        row.update(answer=item.answer, human_score=None)
        if scale is not None:  # the template's scale, for the labelling page's score entry
            row["scale"] = [scale[0], scale[1]]
    return row


def source_scale(source: str) -> tuple[float, float] | None:
    """The score scale of a pointwise run's template (None for a data file or a pairwise run)."""
    path = Path(source)
    if not path.is_dir():
        return None
    pointwise = RunDir(path).read_summary().get("pointwise") or {}
    scale = pointwise.get("scale")
    return None if not scale else (float(scale[0]), float(scale[1]))


def run_bands(run: str, bands: int) -> Mapping[str, str]:
    """Item id -> confidence band of a run's scored items, as `plan_labels` drew them."""
    from judgekit.metrics.matching import load_sources
    from judgekit.metrics.outcomes import ColumnSpec

    if not Path(run).is_dir():
        raise UsageError(f"--run {run}: not a run directory")
    (judged,) = load_sources([run], ColumnSpec(pred=[], fields={}))[:1]
    return bands_by_id([fact.id for fact in judged.facts], judged.outcomes, bands)


def source_items(source: str, fields: dict[str, str]) -> list[Item]:
    """The items (with their texts) of a run directory or a data file."""
    path = Path(source)
    if path.is_dir():
        return list(RunDir(path).iter_items())
    return list(Dataset(path, ReadOptions(fields=fields, max_chars=10**9)))
