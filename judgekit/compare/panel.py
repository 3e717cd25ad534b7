"""A panel of judges: one verdict per item from several judges, and how much they agree.

Pairwise verdicts are combined by majority: the label given by more than half of the judges
that returned a valid verdict wins; without such a majority the item is a tie (as two orders
that disagree are under --positions swap). Pointwise scores are combined by their mean over the
judges that returned a score. An item is unscored only when no judge gave a valid verdict.

Inter-judge agreement is Cohen's kappa for two judges and Fleiss' kappa for three or more, over
the items every judge scored; scores are taken as categories. Cohen's kappa of every pair (and
Spearman's rho for scores) is reported beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

from judgekit.compare.statistics import InterJudgeAgreement
from judgekit.metrics.aggregate import ItemOutcome
from judgekit.metrics.outcomes import JudgedSet, check_same_items
from judgekit.stats import agreement as pairwise_stats
from judgekit.stats import correlation
from judgekit.stats.intervals import DEFAULT_RESAMPLES
from judgekit.stats.raters import fleiss_kappa

RULES = {"pairwise": "majority", "pointwise": "mean"}


def combine(sets: Sequence[JudgedSet], name: str | None = None) -> JudgedSet:
    """The panel's outcome per item: majority verdict (pairwise) or mean score (pointwise)."""
    check_same_items(sets)
    first = sets[0]
    outcomes = []
    for index, fact in enumerate(first.facts):
        members = [judged.outcomes[index] for judged in sets]
        outcomes.append(_majority(fact.id, members) if first.kind == "pairwise" else _mean(fact.id, members))
    judges = [judged.judge or judged.name for judged in sets]
    return JudgedSet(
        name=name or f"panel: {RULES[first.kind]} of {len(sets)} ({', '.join(judges)})",
        kind=first.kind,
        facts=first.facts,
        outcomes=outcomes,
        rows=[row for judged in sets for row in judged.rows],
        prompt=first.prompt if len({judged.prompt for judged in sets}) == 1 else None,
        judge=None,
        renamed=first.renamed,
    )


def _majority(item_id: str, members: Sequence[ItemOutcome]) -> ItemOutcome:
    votes = Counter(outcome.verdict for outcome in members if outcome.verdict is not None)
    if not votes:
        return _no_verdict(item_id, members)
    label, count = votes.most_common(1)[0]
    verdict = label if count * 2 > sum(votes.values()) else "tie"
    return ItemOutcome(item_id, "ok", verdict=verdict)


def _mean(item_id: str, members: Sequence[ItemOutcome]) -> ItemOutcome:
    scores = [outcome.score for outcome in members if outcome.score is not None]
    if not scores:
        return _no_verdict(item_id, members)
    return ItemOutcome(item_id, "ok", score=sum(scores) / len(scores))


def _no_verdict(item_id: str, members: Sequence[ItemOutcome]) -> ItemOutcome:
    statuses = {outcome.status for outcome in members}
    status = "unscored" if "unscored" in statuses else "error" if "error" in statuses else "pending"
    return ItemOutcome(item_id, status, reason="no judge of the panel gave a valid verdict")


def _label(outcome: ItemOutcome) -> str | None:
    if outcome.verdict is not None:
        return str(outcome.verdict)
    if outcome.score is not None:
        return f"{outcome.score:g}"
    return None


def inter_judge(sets: Sequence[JudgedSet], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> InterJudgeAgreement:
    """Cohen's (two judges) or Fleiss' (three or more) kappa over the items all judges scored."""
    check_same_items(sets)
    options = {"resamples": resamples, "seed": seed}
    names = [judged.name for judged in sets]
    ratings: list[list[str]] = []
    for index in range(len(sets[0].facts)):
        labels = [_label(judged.outcomes[index]) for judged in sets]
        if all(label is not None for label in labels):
            ratings.append([str(label) for label in labels])
    pairs = []
    for (i, first), (j, second) in combinations(enumerate(names), 2):
        entry: dict[str, object] = {"first": first, "second": second}
        kappa = pairwise_stats.cohen_kappa([r[i] for r in ratings], [r[j] for r in ratings], **options)
        entry["cohen_kappa"] = kappa.model_dump() if kappa else None
        if sets[0].kind == "pointwise" and ratings:
            rho = correlation.item_level(
                "spearman", [float(r[i]) for r in ratings], [float(r[j]) for r in ratings], **options
            )
            entry["spearman"] = rho.model_dump() if rho else None
        pairs.append(entry)
    if len(sets) == 2:
        kappa = pairwise_stats.cohen_kappa([r[0] for r in ratings], [r[1] for r in ratings], **options)
        method = "cohen"
    else:
        kappa = fleiss_kappa(ratings, **options) if ratings else None
        method = "fleiss"
    return InterJudgeAgreement(judges=names, items=len(ratings), method=method, kappa=kappa, pairs=pairs)
