"""A panel of judges: one verdict per item from several judges, and how much they agree.

Each judge's outcome for an item is a vote when it is valid (a verdict, or a score); an
unscored, failed or unjudged outcome is a non-vote. An item is scored by the panel only when at
least `quorum` judges voted (default: a majority of the panel, ⌊judges / 2⌋ + 1), so a panel of
three in which two judges failed does not pass off the one remaining vote as the panel's.
The number of votes behind each item (the effective panel size) is kept on its outcome and
summarised in `PanelReport`.

The votes are combined by a named rule:

- majority (pairwise default): the label given by more than half of the votes wins; without
  such a majority the item is a tie. For scores, the score more than half of the votes gave;
  without one the item has no panel verdict (unscored).
- unanimous: every vote must agree; otherwise a tie (pairwise) or no verdict (scores).
- listwise (best of N): majority (default) or unanimous over the picked answers; an item
  without such a pick is unscored. mean does not apply.
- mean (pointwise default): pairwise, the mean of the judges' P(A), P(B), P(tie) (a judge
  without probabilities counts its verdict as certain) and the most likely label wins, an exact
  draw between the leaders being a tie; for scores, the mean score.

Under majority and unanimous each verdict keeps how many of its votes stood behind it
(`ItemOutcome.backing`): its confidence is that share of the votes (`metrics.confidence`, source
"panel votes"). When every voting judge gave a graded verdict (A>>B ... B>>A), the panel's verdict
keeps a grade under any rule (`metrics.graded.panel_grade`).

Inter-judge agreement is Cohen's kappa for two judges and Fleiss' kappa for three or more, over
the items every judge scored; scores are taken as categories. Cohen's kappa of every pair (and
Spearman's rho for scores) is reported beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import combinations

from judgekit.compare.checklist_panel import VOTING_RULES, rows_by_item, vote_checklist
from judgekit.compare.records import InterJudgeAgreement
from judgekit.errors import UsageError
from judgekit.metrics.graded import panel_grade
from judgekit.metrics.items import ItemOutcome
from judgekit.metrics.matching import check_same_items
from judgekit.metrics.outcomes import JudgedSet
from judgekit.schema import Label
from judgekit.stats import agreement as pairwise_stats
from judgekit.stats import correlation
from judgekit.stats.intervals import DEFAULT_RESAMPLES
from judgekit.stats.raters import fleiss_kappa

PANEL_RULES = ("majority", "unanimous", "mean")
DEFAULT_RULE = {"pairwise": "majority", "pointwise": "mean", "listwise": "majority"}
_LABELS: tuple[Label, ...] = ("A", "B", "tie")


def default_quorum(judges: int) -> int:
    """A majority of the panel: more than half of its judges must vote."""
    return judges // 2 + 1


def resolve(kind: str, judges: int, rule: str | None, quorum: int | None) -> tuple[str, int]:
    """The rule and quorum a panel of `judges` uses; a UsageError for ones that cannot apply."""
    chosen = rule or DEFAULT_RULE[kind]
    if chosen not in PANEL_RULES:
        raise UsageError(f"--panel-rule {chosen}: choose one of {', '.join(PANEL_RULES)}")
    if kind == "listwise" and chosen == "mean":
        raise UsageError("--panel-rule mean cannot be used with a listwise run (picks have no mean): use majority")
    needed = default_quorum(judges) if quorum is None else quorum
    if not 1 <= needed <= judges:
        raise UsageError(f"--quorum {needed}: a panel of {judges} judges needs a quorum from 1 to {judges}")
    return chosen, needed


def combine(
    sets: Sequence[JudgedSet], name: str | None = None, *, rule: str | None = None, quorum: int | None = None
) -> JudgedSet:
    """The panel's outcome per item under `rule`, scored only where at least `quorum` judges voted."""
    check_same_items(sets)
    first = sets[0]
    chosen, needed = resolve(first.kind, len(sets), rule, quorum)
    outcomes = []
    checklist = chosen in VOTING_RULES and any(fact.rubric_items is not None for fact in first.facts)
    member_rows = [rows_by_item(judged.rows) for judged in sets] if checklist else []
    for index, fact in enumerate(first.facts):
        if checklist and fact.rubric_items is not None:  # a vote per criterion (`checklist_panel`)
            outcomes.append(vote_checklist(fact, [rows.get(fact.id, {}) for rows in member_rows], chosen, needed))
            continue
        members = [judged.outcomes[index] for judged in sets]
        outcomes.append(_vote(fact.id, members, first.kind, chosen, needed))
    judges = [judged.judge or judged.name for judged in sets]
    return JudgedSet(
        name=name or f"panel: {chosen} of {len(sets)}, quorum {needed} ({', '.join(judges)})",
        kind=first.kind,
        facts=first.facts,
        outcomes=outcomes,
        rows=[row for judged in sets for row in judged.rows],
        prompt=first.prompt if len({judged.prompt for judged in sets}) == 1 else None,
        judge=None,
        renamed=first.renamed,
        positions=first.positions if len({judged.positions for judged in sets}) == 1 else None,
        # Graded members that count a strong preference alike: the panel's grades count the same.
        strong_weight=first.strong_weight if len({judged.strong_weight for judged in sets}) == 1 else None,
        swap_below=first.swap_below if len({judged.swap_below for judged in sets}) == 1 else None,
        combined_from=len(sets),
        panel_rule=chosen,
    )


def _is_vote(outcome: ItemOutcome, kind: str) -> bool:
    if outcome.status != "ok":
        return False
    if kind == "listwise":
        return outcome.pick is not None
    return outcome.verdict is not None if kind == "pairwise" else outcome.score is not None


def _vote(item_id: str, members: Sequence[ItemOutcome], kind: str, rule: str, quorum: int) -> ItemOutcome:
    votes = [outcome for outcome in members if _is_vote(outcome, kind)]
    if len(votes) < quorum:
        return _short_of_quorum(item_id, members, len(votes), quorum)
    if kind == "listwise":
        outcome = _listwise(item_id, votes, rule)
    else:
        outcome = _pairwise(item_id, votes, rule) if kind == "pairwise" else _pointwise(item_id, votes, rule)
    outcome.votes = len(votes)
    return outcome


def _pairwise(item_id: str, votes: Sequence[ItemOutcome], rule: str) -> ItemOutcome:
    if rule == "mean":
        mean: dict[str, float] = {
            label: sum(_distribution(vote)[label] for vote in votes) / len(votes) for label in _LABELS
        }
        best = max(mean.values())
        leaders = [label for label in _LABELS if mean[label] >= best - 1e-12]  # float sums: 0.1 + 0.2
        # An exact draw between labels is a tie, not a win for whichever label is listed first.
        verdict: Label = leaders[0] if len(leaders) == 1 else "tie"
        return ItemOutcome(item_id, "ok", verdict=verdict, probabilities=mean, grades=_grades(verdict, votes))
    tally = Counter(vote.verdict for vote in votes)
    label, count = tally.most_common(1)[0]
    needed = len(votes) if rule == "unanimous" else len(votes) // 2 + 1
    verdict = label if count >= needed and label is not None else "tie"
    return ItemOutcome(item_id, "ok", verdict=verdict, backing=tally[verdict], grades=_grades(verdict, votes))


def _grades(verdict: Label, votes: Sequence[ItemOutcome]) -> tuple[str, ...] | None:
    """The panel verdict's one grade when every vote is graded (`metrics.graded.panel_grade`)."""
    found = panel_grade(verdict, [(vote.verdict, vote.grades) for vote in votes])
    return None if found is None else (found,)


def _distribution(vote: ItemOutcome) -> dict[str, float]:
    """A judge's P(A), P(B), P(tie); a verdict without probabilities counts as certain."""
    if vote.probabilities:
        return {label: float(vote.probabilities.get(label, 0.0)) for label in _LABELS}
    return {label: 1.0 if vote.verdict == label else 0.0 for label in _LABELS}


def _pointwise(item_id: str, votes: Sequence[ItemOutcome], rule: str) -> ItemOutcome:
    scores = [float(vote.score) for vote in votes if vote.score is not None]
    if rule == "mean":
        return ItemOutcome(item_id, "ok", score=sum(scores) / len(scores))
    tally = Counter(scores)
    score, count = tally.most_common(1)[0]
    needed = len(scores) if rule == "unanimous" else len(scores) // 2 + 1
    if count >= needed:
        return ItemOutcome(item_id, "ok", score=score, backing=count)
    what = "agree" if rule == "unanimous" else "give one score by a majority"
    return ItemOutcome(item_id, "unscored", reason=f"the panel's {len(scores)} votes do not {what}")


def _listwise(item_id: str, votes: Sequence[ItemOutcome], rule: str) -> ItemOutcome:
    """The answer more than half of the votes picked (all of them, unanimous); else unscored."""
    pick, count = Counter(vote.pick for vote in votes).most_common(1)[0]
    needed = len(votes) if rule == "unanimous" else len(votes) // 2 + 1
    if count >= needed:
        return ItemOutcome(item_id, "ok", pick=pick, backing=count)
    what = "agree" if rule == "unanimous" else "pick one answer by a majority"
    return ItemOutcome(item_id, "unscored", reason=f"the panel's {len(votes)} votes do not {what}")


def _short_of_quorum(item_id: str, members: Sequence[ItemOutcome], votes: int, quorum: int) -> ItemOutcome:
    # A failed or unjudged member comes first: running the same command again may reach the quorum.
    statuses = {outcome.status for outcome in members}
    status = "error" if "error" in statuses else "pending" if "pending" in statuses else "unscored"
    reason = f"{votes} of {len(members)} judges gave a valid verdict; the panel's quorum is {quorum}"
    return ItemOutcome(item_id, status, reason=reason, votes=votes)


def vote_counts(panel: JudgedSet) -> dict[str, int]:
    """Items by the number of valid votes behind them (the effective panel size), as text keys."""
    tally = Counter(outcome.votes or 0 for outcome in panel.outcomes)
    return {str(votes): tally[votes] for votes in sorted(tally, reverse=True)}


def _label(outcome: ItemOutcome) -> str | None:
    if outcome.verdict is not None:
        return str(outcome.verdict)
    if outcome.score is not None:
        return f"{outcome.score:g}"
    if outcome.pick is not None:
        return f"answer {outcome.pick + 1}"
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
