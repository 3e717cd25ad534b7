"""The named choices and shared defaults of judgekit, each defined once for the CLI and the library.

Plain `Literal` types with no imports, so the command line can use them at start-up (Typer
turns each into a checked choice) without loading pydantic.
"""

from __future__ import annotations

from typing import Literal

Positions = Literal["random", "swap", "fixed", "adaptive"]
"""Pairwise answer order: random (a seeded coin per item), swap (both orders), fixed (A first) or
adaptive (a seeded order, and the other one only when the first verdict is unsure)."""
ScoreMethod = Literal["auto", "parse", "logprobs", "samples"]
"""How a verdict becomes a number (see judging/scoring.py)."""
OrderRule = Literal["mean", "tie", "decisive", "drop"]
"""The verdict of a --positions swap item whose two orders disagree (see metrics/orders.py)."""
PanelRule = Literal["majority", "unanimous", "mean"]
"""How a panel's votes become one verdict (see compare/panel.py)."""
DomainName = Literal["general", "coding", "math", "auto"]
"""Which built-in prompt grades an item; auto picks by the item's category (see inputs/domains.py)."""
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
"""OpenAI reasoning models' reasoning_effort, as the openai SDK lists it; each model accepts some of them."""

DEFAULT_SWAP_BELOW = 0.75
"""--swap-below: a verdict less sure than this is unsure (adaptive judges its other order). 0.75 is
where `benchmarks/positions.py` finds adaptive reproducing full swap's verdicts for at most 1.4
calls per item with a calibrated judge (0.8 spent about 1.47)."""

DEFAULT_RESAMPLES = 2000
"""Bootstrap resamples per interval, unless a run says otherwise."""
