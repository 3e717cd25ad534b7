"""Model families, to warn when a judge grades answers written by its own family.

Judges tend to prefer answers from their own model family (self-preference bias; Zheng et al.
2023 and Panickssery et al. 2024 measure it). The family of a model is guessed from its name by
a few well-known name stems; an unknown name has no family and raises no warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FAMILIES: tuple[tuple[str, str], ...] = (
    ("openai", r"\bgpt|\bo[134](-|\b)|chatgpt|davinci|text-(ada|babbage|curie)"),
    ("anthropic", r"claude"),
    ("google", r"gemini|gemma|palm|bard|bison"),
    ("meta", r"llama|alpaca|vicuna"),
    ("mistral", r"mistral|mixtral|ministral|codestral"),
    ("qwen", r"qwen"),
    ("deepseek", r"deepseek"),
    ("microsoft", r"\bphi[-_ ]?\d"),
    ("cohere", r"command[-_ ]?r|cohere"),
    ("xai", r"grok"),
    ("01-ai", r"\byi[-_]"),
)
"""(family, name pattern). Alpaca and Vicuna are fine-tunes of LLaMA, so they count as meta."""


def family(model: str) -> str | None:
    """The family a model name belongs to, or None when no known stem matches."""
    name = model.split("/", 1)[-1].lower()
    for label, pattern in FAMILIES:
        if re.search(pattern, name):
            return label
    return None


def self_preference_warning(judge: str, candidates: Iterable[str | None]) -> str | None:
    """A warning when the judge shares a family with any candidate model, else None."""
    judge_family = family(judge)
    if judge_family is None:
        return None
    same = sorted({name for name in candidates if name and family(name) == judge_family})
    if not same:
        return None
    return (
        f"the judge {judge} is from the same model family ({judge_family}) as candidate(s) "
        f"{', '.join(same[:5])}{' …' if len(same) > 5 else ''}: judges tend to favour their own family's "
        "answers (self-preference); compare with a judge from another family"
    )
