"""Scripted pairwise judges whose position bias and confidence are known exactly.

`QualityJudge` reads a quality mark written into each answer (`quality=1.5`, see `answer_text`)
and answers in judgekit's built-in pairwise format ([[A]] first, [[B]] second, [[C]] tie) with
token log-probabilities at the verdict. It prefers the answer shown first by `bias` (in log-odds):

    P(first shown wins) = (1 - tie) * logistic(sharpness * (quality_first - quality_second + bias))
    P(second shown wins) = (1 - tie) * (1 - logistic(...)),  P(tie) = tie

and writes the most likely verdict. So its verdict in one order is wrong exactly when the
quality gap is smaller than the bias and the better answer is shown second; its confidence
(the verdict's probability) is known for every item (`sharpness` > 1 makes it overconfident, as
language models' token probabilities often are, without changing any verdict); and the mean of its two orders'
probabilities always names the better answer (logistic(g + b) + logistic(g - b) > 1 iff g > 0).
Used by judgekit's tests and `make bench` to compare --positions fixed, swap and adaptive
against a known truth. Stands alone (no judgekit imports), like the rest of `judgekit.testing`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from judgekit.testing.wire import FakeRequest, Reply

QUALITY = re.compile(r"quality=(-?\d+(?:\.\d+)?)")


def answer_text(name: str, quality: float) -> str:
    """An answer carrying its quality mark, for data the judge reads."""
    return f"{name} (quality={quality:.3f})"


@dataclass(frozen=True)
class QualityJudge:
    bias: float = 0.0
    """Log-odds added in favour of the answer shown first (0: no position bias)."""
    tie: float = 0.0
    """Probability the judge puts on a tie; a tie is written only when it is the most likely."""
    sharpness: float = 1.0
    """Scales the log-odds the judge reports: above 1 it is surer than its verdicts deserve."""

    def probabilities(self, first: float, second: float) -> dict[str, float]:
        """P(verdict) in the shown order: A = first shown, B = second shown, C = tie."""
        p_first = 1.0 / (1.0 + math.exp(-self.sharpness * (first - second + self.bias)))
        return {"A": (1 - self.tie) * p_first, "B": (1 - self.tie) * (1 - p_first), "C": self.tie}

    def __call__(self, request: FakeRequest) -> Reply:
        marks = [float(value) for value in QUALITY.findall(request.prompt)]
        if len(marks) < 2:
            return Reply("I cannot tell the answers apart.")  # no verdict: unscored
        distribution = self.probabilities(marks[0], marks[1])
        verdict = max(distribution, key=lambda key: distribution[key])
        return Reply(f"Compared both answers.\n[[{verdict}]]", at=verdict, distribution=distribution)
