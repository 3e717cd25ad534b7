"""The embedded default judge: what `judgekit eval` uses when no judge is chosen.

Like SQLite for a database tool, it lets anyone run the whole pipeline with no API key and no
server: Qwen2.5-Coder-1.5B-Instruct, run on the CPU through llama.cpp. A model this small is
strongly swayed by the order of the answers, so it is used the way that corrects for it:

- pairwise items are judged in both orders (`--positions swap`) and the two orders'
  verdict probabilities are averaged (log-probabilities read at the verdict token);
- the prompts ask for the verdict alone (`pairwise/direct`, `pointwise/direct`), so a call
  costs a few generated tokens instead of a paragraph: a 2-core laptop judges a pair in
  seconds;
- listwise (best-of-N) items are shown once in a shuffled order with `listwise/direct`, and
  the pick is read from the text (a pick has no probabilities to average).

Anything the user sets explicitly (`--positions`, `--prompt`) wins over these defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from judgekit.backends.local_models import KNOWN_MODELS
from judgekit.config import EvalConfig

DEFAULT_MODEL = "qwen2.5-coder-1.5b"
DEFAULT_JUDGE = f"local/{DEFAULT_MODEL}"
TEMPLATES: dict[str, str] = {"pairwise": "pairwise/direct", "pointwise": "pointwise/direct"}
POSITIONS = "swap"
SCORE_METHOD = "logprobs"


def settings(kind: str, *, positions: str | None = None, prompt: str | None = None) -> dict[str, Any]:
    """EvalConfig values for the embedded judge on data of `kind`; explicit choices win."""
    if kind == "listwise":  # one shuffled order per item, the pick read from the text
        return {"judge": DEFAULT_JUDGE, "positions": positions or "random", "prompt": prompt or "listwise/direct"}
    return {
        "judge": DEFAULT_JUDGE,
        "positions": positions or POSITIONS,
        "prompt": prompt or TEMPLATES[kind],
        "score_method": SCORE_METHOD,
    }


def fill_defaults(config: EvalConfig) -> EvalConfig:
    """The embedded judge's score method and verdict-only template where the user chose none.

    Applied whenever the judge is the embedded model, named or not, so `judgekit eval` and
    `judgekit compare` grade the same items the same way.
    """
    if config.judge != DEFAULT_JUDGE:
        return config
    update: dict[str, Any] = {}
    kind = config.mode or data_kind(config.dataset, config.fields)
    if kind == "listwise":  # a pick is read from the text: no verdict probabilities to weigh
        return config if config.prompt else config.model_copy(update={"prompt": "listwise/direct"})
    if config.score_method is None and config.samples is None:
        update["score_method"] = SCORE_METHOD
    if config.prompt is None and config.mode in (None, "pairwise", "pointwise"):
        update["prompt"] = TEMPLATES[kind]
    return config.model_copy(update=update) if update else config


def notice(chosen: dict[str, Any], kind: str) -> str:
    """The one stderr line that says which judge is used and how to choose another."""
    model = KNOWN_MODELS[DEFAULT_MODEL]
    how = f"{chosen['prompt']}, verdict probabilities"
    if kind == "pairwise":
        how += " averaged over both answer orders" if chosen["positions"] == "swap" else ""
    return (
        f"no judge given: using the embedded local judge {DEFAULT_JUDGE} ({model.title.split(' (')[0]} "
        f"on the CPU; {how}); choose another with --judge provider/model or JUDGEKIT_JUDGE"
    )


def data_kind(dataset: str, fields: Mapping[str, str]) -> str:
    """pairwise or pointwise, from the first row (the full check of the file comes later)."""
    from judgekit.inputs.datasets import Dataset, ReadOptions

    first = next(iter(Dataset(dataset, ReadOptions(fields=fields, truncate=True))), None)
    return first.kind if first is not None else "pairwise"
