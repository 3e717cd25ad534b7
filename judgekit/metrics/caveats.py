"""Caveats that change what a run's numbers mean, shown wherever the numbers are.

The mock judge (`mock/<behaviour>`) calls no model: its verdicts are drawn at random or fixed
by judgekit itself. Its numbers look like any other run's, so every place that shows them (the
summary's warnings, the console, compare.json, the HTML report) says so, and a comparison
between mock configurations makes no claim of one being significantly better.
"""

from __future__ import annotations

from collections.abc import Iterable

MOCK_PROVIDER = "mock"


def is_mock_judge(judge: str | None) -> bool:
    """Whether a judge spec (`provider/model`) names judgekit's offline mock judge."""
    if not judge:
        return False
    provider, _, model = judge.partition("/")
    return provider.strip().lower() == MOCK_PROVIDER and bool(model)


def mock_judge_warning(judges: Iterable[str | None]) -> str | None:
    """One warning naming every mock judge among `judges`, or None when there is none."""
    mocks = sorted({judge for judge in judges if judge and is_mock_judge(judge)})
    if not mocks:
        return None
    names = ", ".join(mocks)
    return (
        f"mock judge ({names}): no model was called; judgekit made up these verdicts, so the numbers say "
        "nothing about any judge or answer. Use it to check data, templates and CI wiring only"
    )
