"""Judge-human agreement on scores beyond correlation, and the human-human ceiling.

A correlation rewards a judge that ranks answers like the humans even when it scores them two
points lower; agreement figures do not. At the item level a pointwise run with human scores also
gets Cohen's weighted kappa (linear and quadratic weights), Krippendorff's alpha (ordinal and
interval levels) and the ICC(A,1) of the judge and the human score. Kappa and ordinal alpha treat
each distinct score as a category, so they are left out for near-continuous scores
(probability-weighted verdicts), where only the interval-level figures make sense.

With several human ratings per item (a list in the human_score column) the humans' own
agreement is the ceiling to read the judge against: Krippendorff's alpha and the ICC among the
humans, and a leave-one-out Spearman of each rating against the mean of the item's other ratings,
next to the judge's Spearman against the same means.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from judgekit.stats import agreement, alpha, raters
from judgekit.stats.intervals import Estimate
from judgekit.summary import RaterCeiling

if TYPE_CHECKING:
    from judgekit.metrics.items import ItemFacts, ItemOutcome

CATEGORY_LIMIT = 50
"""Most distinct scores (judge and human together) for which scores are taken as categories."""


def correlation_notes(judge: Sequence[float], human: Sequence[float], unit: str = "item") -> list[str]:
    """Why correlations (and the agreement figures) are undefined on these pairs, if they are."""
    n = len(judge)
    if n == 0:
        return [f"no {unit} has both a judge score and a human score"]
    if n < 2:
        return [f"one {unit} has both a judge score and a human score: a correlation needs at least two"]
    notes = []
    if float(np.ptp(judge)) == 0.0:
        notes.append(f"the judge gave every {unit} the same score ({judge[0]:g}): correlations are undefined")
    if float(np.ptp(human)) == 0.0:
        notes.append(f"every {unit} has the same human score ({human[0]:g}): correlations are undefined")
    return notes


def score_figures(
    judge: Sequence[float], human: Sequence[float], options: Mapping[str, int]
) -> tuple[dict[str, Estimate | None], list[str]]:
    """Weighted kappas, Krippendorff's alphas and ICC(A,1) of judge against human scores, with notes."""
    if not judge:
        return {}, []
    pair = np.column_stack([np.asarray(judge, dtype=float), np.asarray(human, dtype=float)])
    figures: dict[str, Estimate | None] = {
        "alpha_interval": alpha.krippendorff_alpha(pair, "interval", **options),
        "icc": raters.icc(pair, "agreement", **options),
    }
    distinct = int(np.unique(pair).size)
    if distinct > CATEGORY_LIMIT:
        return figures, [
            f"weighted kappa and ordinal alpha take scores as categories; {distinct} distinct scores "
            "are too many (only the interval-level alpha and the ICC are given)"
        ]
    figures["kappa_linear"] = agreement.weighted_kappa(judge, human, "linear", **options)
    figures["kappa_quadratic"] = agreement.weighted_kappa(judge, human, "quadratic", **options)
    figures["alpha_ordinal"] = alpha.krippendorff_alpha(pair, "ordinal", **options)
    return figures, []


def ceiling(
    facts: Sequence[ItemFacts], outcomes: Sequence[ItemOutcome], options: Mapping[str, Any]
) -> RaterCeiling | None:
    """The human-human ceiling over items with a judge score and two or more human ratings."""
    rows = [
        (float(outcome.score), fact.human_scores)
        for fact, outcome in zip(facts, outcomes, strict=True)
        if outcome.score is not None and fact.human_scores is not None and len(fact.human_scores) >= 2
    ]
    if not rows:
        return None
    width = max(len(ratings) for _, ratings in rows)
    matrix = np.full((len(rows), width), np.nan)
    for index, (_, ratings) in enumerate(rows):
        matrix[index, : len(ratings)] = ratings
    judge = np.asarray([score for score, _ in rows])
    resamples, seed = int(options["resamples"]), int(options["seed"])
    resampling = {"resamples": resamples, "seed": seed}
    complete = matrix[~np.isnan(matrix).any(axis=1)]
    categorical = np.unique(matrix[~np.isnan(matrix)]).size <= CATEGORY_LIMIT
    return RaterCeiling(
        raters=width,
        items=len(rows),
        alpha_interval=alpha.krippendorff_alpha(matrix, "interval", **resampling),
        alpha_ordinal=alpha.krippendorff_alpha(matrix, "ordinal", **resampling) if categorical else None,
        icc=raters.icc(complete, "oneway", **resampling) if complete.shape[0] else None,
        human_spearman=raters.leave_one_out(matrix, resamples=resamples, seed=seed),
        judge_spearman=raters.leave_one_out(matrix, judge, resamples=resamples, seed=seed),
    )
