"""Runs for the HTML report tests: made through `judgekit eval` against the fake provider.

The pairwise run carries hostile text everywhere a dataset or a judge can put it: answers,
question, category, model names, item id and the judge's own explanation. Each hostile piece
would set `window.judgekitPwned` (or the page title) if a browser ever ran it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from judgekit.api import run_eval
from judgekit.config import EvalConfig
from judgekit.testing.server import FakeProvider
from tests.helpers import write_jsonl

PWNED_TITLE = "PWNED by an answer"
SCRIPT_ANSWER = f"GOOD answer. <script>document.title = '{PWNED_TITLE}'; window.judgekitPwned = 1;</script>"
IMG_ANSWER = 'BAD answer, and longer than the other <img src=x onerror="window.judgekitPwned = 2">'
HOSTILE_QUESTION = "Which is right? </pre></td></tr></tbody></table><script>window.judgekitPwned = 3</script>"
HOSTILE_ID = 'evil"><script>window.judgekitPwned=4</script>'
HOSTILE_CATEGORY = "<i>odd & even</i>"
HOSTILE_MODEL = "<b onclick=window.judgekitPwned=5>model-x</b>"
JUDGE_SCRIPT = "<script>window.judgekitPwned = 6</script>"

MODELS = [HOSTILE_MODEL, "model-y", "model-z"]


def pairwise_rows(n: int = 12) -> list[dict[str, Any]]:
    """Pairs whose better answer contains GOOD; three models; human labels that agree but once."""
    rows = []
    for index in range(n):
        good_first = index % 2 == 0
        good = f"GOOD answer {index}" + " with detail" * (index % 4)
        bad = f"BAD answer {index}" + " padded" * (index % 3)
        rows.append(
            {
                "id": f"item-{index:02d}",
                "question": f"Question {index}?",
                "answer_a": good if good_first else bad,
                "answer_b": bad if good_first else good,
                "model_a": MODELS[index % 3],
                "model_b": MODELS[(index + 1) % 3],
                "category": "even" if good_first else "odd",
                "label": ("A" if good_first else "B") if index != 5 else "A",  # item 5: humans disagree
            }
        )
    rows.append(
        {
            "id": HOSTILE_ID,
            "question": HOSTILE_QUESTION,
            "answer_a": SCRIPT_ANSWER,
            "answer_b": IMG_ANSWER,
            "model_a": HOSTILE_MODEL,
            "model_b": "model-y",
            "category": HOSTILE_CATEGORY,
            "label": "A",
        }
    )
    rows.append(
        {
            "id": "no-verdict",
            "question": "Can this be judged?",
            "answer_a": "UNJUDGEABLE one",
            "answer_b": "UNJUDGEABLE two",
            "model_a": "model-y",
            "model_b": "model-z",
            "category": "even",
            "label": "B",
        }
    )
    return rows


def pairwise_judge(request: Any) -> str:
    """Prefers the answer containing GOOD; writes a hostile explanation; cannot judge UNJUDGEABLE."""
    prompt = request.prompt
    if "UNJUDGEABLE" in prompt:
        return "I cannot decide between these."
    first_good, first_bad = prompt.find("GOOD"), prompt.find("BAD")
    if first_good == -1 or first_bad == -1:
        return f"They look alike. {JUDGE_SCRIPT}\n[[C]]"
    better = "first" if first_good < first_bad else "second"
    return f"The {better} answer is right. {JUDGE_SCRIPT} <b>bold claim</b>\n[[{'A' if better == 'first' else 'B'}]]"


def pointwise_rows(n: int = 24) -> list[dict[str, Any]]:
    """Answers with GOOD or BAD in them, human scores 5/4 for GOOD and 1/2 for BAD, three models."""
    rows = []
    for index in range(n):
        good = index % 3 != 0
        rows.append(
            {
                "id": f"p-{index:02d}",
                "question": f"Question {index}?",
                "answer": ("GOOD answer" if good else "BAD answer") + " and more" * (index % 5),
                "model": ["model-x", "model-y", "model-z"][index % 3],
                "category": ["facts", "maths"][index % 2],
                "human_score": (5 if index % 2 else 4) if good else (1 if index % 2 else 2),
            }
        )
    return rows


def pointwise_judge(request: Any) -> str:
    prompt = request.prompt
    answer = prompt[prompt.rfind("GOOD") if "GOOD" in prompt else 0 :]
    if "GOOD" in prompt and "and more and more" in answer:
        return "Right, and thorough.\nRating: [[9]]"
    if "GOOD" in prompt:
        return "Right.\nRating: [[7]]"
    return "Wrong.\nRating: [[2]]"


def make_run(data: Path, responder: Callable[[Any], str], **options: Any) -> tuple[Path, dict[str, Any]]:
    """Judge `data` with `responder` behind a fake OpenAI server; returns (run dir, summary.json).

    The run directory and cache go next to `data`. 400 bootstrap resamples instead of 2000 keep
    the paired (correlation) intervals quick.
    """
    with FakeProvider(responder) as server, pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_BASE_URL", server.openai_url)
        patch.setenv("OPENAI_API_KEY", "sk-test-report-0123456789")
        config = EvalConfig(
            dataset=str(data),
            judge="openai/judge-1",
            out=str(data.parent / "run"),
            cache_dir=str(data.parent / "cache"),
            bootstrap_resamples=400,
            **options,
        )
        result = run_eval(config)
    summary = json.loads((result.run_dir / "summary.json").read_text(encoding="utf-8"))
    return result.run_dir, summary


def pairwise_run(folder: Path) -> tuple[Path, dict[str, Any]]:
    folder.mkdir(parents=True, exist_ok=True)
    return make_run(write_jsonl(folder / "pairs.jsonl", pairwise_rows()), pairwise_judge, positions="swap")


def pointwise_run(folder: Path) -> tuple[Path, dict[str, Any]]:
    folder.mkdir(parents=True, exist_ok=True)
    return make_run(write_jsonl(folder / "scores.jsonl", pointwise_rows()), pointwise_judge)


@functools.cache
def shared_run(kind: str, base: Path) -> tuple[Path, dict[str, Any]]:
    """One pairwise or pointwise run per test session, under pytest's base temp folder.

    Both report test modules read the same runs; nothing may change them but `judgekit report`,
    which rewrites summary.json with the same numbers.
    """
    make = pairwise_run if kind == "pairwise" else pointwise_run
    return make(base / f"shared-{kind}-run")


def expected_estimate(estimate: dict[str, Any], *, percent: bool, digits: int = 3) -> tuple[str, str]:
    """How the page must print an estimate of summary.json, computed here independently."""
    scale, places, suffix = (100.0, 1, "%") if percent else (1.0, digits, "")
    value = f"{estimate['value'] * scale:.{places}f}{suffix}"
    if estimate["low"] is None or estimate["high"] is None:
        return value, "–"  # too few items for an interval
    interval = f"[{estimate['low'] * scale:.{places}f}, {estimate['high'] * scale:.{places}f}]"
    return value, interval


BUNDLED = Path(__file__).resolve().parents[1] / "datasets"


def mock_run(folder: Path, judge: str, data: str = "demo/pairwise.jsonl", **options: Any) -> Path:
    """A run of a bundled dataset by the offline mock judge (no server): its run directory."""
    config = EvalConfig(
        dataset=str(BUNDLED / data),
        judge=judge,
        out=str(folder / "run"),
        cache_dir=str(folder / "cache"),
        bootstrap_resamples=200,
        **options,
    )
    return run_eval(config).run_dir
