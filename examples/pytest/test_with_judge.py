"""judgekit's pytest plugin in a test suite: judge your app's answers like any other assertion.

Try it offline with the mock judge (it calls no model; its verdicts mean nothing):

    pytest examples/pytest --judgekit-judge mock/first --judgekit-positions fixed --judgekit-min-win-rate 0.5 \
        --judgekit-min-items 3

With a real judge, and a session gate that fails only when the new answers are worse than the
old ones with confidence:

    pytest examples/pytest --judgekit-judge openai/gpt-4o-mini --judgekit-min-win-rate 0.5 --judgekit-on-ci-bound upper

The calls of the session land in runs/pytest/pointwise and runs/pytest/pairwise (summary.json,
judgments.jsonl), like the run directory of `judgekit eval`.
"""

from __future__ import annotations

import pytest

CASES = [
    ("What is 7 multiplied by 8?", "7 x 8 = 56.", "56"),
    ("What is the capital of Japan?", "Tokyo is the capital of Japan.", "Kyoto"),
    ("How many legs does a spider have?", "A spider has eight legs.", "Eight"),
]
"""(question, the new version's answer, the old version's answer)."""


def my_app(question: str) -> str:
    """Stands in for the system under test."""
    return {question: new for question, new, _ in CASES}[question]


@pytest.mark.parametrize("question", [question for question, _, _ in CASES])
def test_answer_is_good(judge, question):
    # One judge call per assertion: a score of at least 7 on the built-in 1-10 scale passes.
    assert judge(my_app(question), question=question, min_score=7)


def test_answers_against_the_old_version(judge):
    # No per-item assertion: the session gate (--judgekit-min-win-rate) decides over all the pairs.
    for question, _, old in CASES:
        judge.against(my_app(question), baseline=old, question=question)
