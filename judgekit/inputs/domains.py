"""Domain prompts: which built-in judge template grades an item, by domain.

Separate prompts per domain help a judge (Vicuna and MT-Bench used different prompts for
general, coding and math questions). `--domain general|coding|math` picks one for every item;
`--domain auto` lets each item's `category` pick, with a mapping like MT-Bench's: math and
reasoning questions get the math prompt (which shows the reference answer when there is one,
and otherwise makes the judge solve the problem first), coding questions the coding prompt,
everything else the general one.
"""

from __future__ import annotations

from typing import Literal

from judgekit.schema import DomainName, Kind

Domain = Literal["general", "coding", "math"]
DomainChoice = DomainName

MATH_CATEGORIES = frozenset({"math", "maths", "mathematics", "arithmetic", "reasoning", "logic"})
"""Categories (compared case-insensitively) that `--domain auto` grades with the math prompt."""
CODING_CATEGORIES = frozenset({"coding", "code", "programming"})
"""Categories that `--domain auto` grades with the coding prompt."""

GENERAL_TEMPLATES: dict[Kind, str] = {
    "pairwise": "pairwise/verdict",
    "pointwise": "pointwise/score",
    "listwise": "listwise/best",
}
"""The default templates (general domain, no reference)."""


def domain_of(category: str | None) -> Domain:
    """The domain `--domain auto` gives an item with this category."""
    name = (category or "").strip().lower()
    if name in MATH_CATEGORIES:
        return "math"
    if name in CODING_CATEGORIES:
        return "coding"
    return "general"


def template_name(kind: Kind, domain: Domain, reference_mode: bool) -> str:
    """The built-in judge template for a kind and domain (`--mode reference` for the general one)."""
    if domain == "general":
        return f"{kind}/reference" if reference_mode else GENERAL_TEMPLATES[kind]
    return f"{kind}/{domain}"
