"""Enumerated option values shared by the commands (one definition each)."""

from __future__ import annotations

from enum import Enum


class FormatChoice(str, Enum):
    table = "table"
    json = "json"


class ModeChoice(str, Enum):
    pairwise = "pairwise"
    pointwise = "pointwise"
    reference = "reference"
    geval = "geval"


class KindChoice(str, Enum):
    pairwise = "pairwise"
    pointwise = "pointwise"


class DomainChoice(str, Enum):
    general = "general"
    coding = "coding"
    math = "math"
    auto = "auto"


class ScoreMethodChoice(str, Enum):
    auto = "auto"
    parse = "parse"
    logprobs = "logprobs"
    samples = "samples"


class PositionsChoice(str, Enum):
    random = "random"
    swap = "swap"
    fixed = "fixed"


class LevelChoice(str, Enum):
    item = "item"
    group = "group"
    system = "system"


class RetryChoice(str, Enum):
    batch = "batch"
    interactive = "interactive"
    none = "none"


class PanelRuleChoice(str, Enum):
    majority = "majority"
    unanimous = "unanimous"
    mean = "mean"


class OrderRuleChoice(str, Enum):
    mean = "mean"
    tie = "tie"
    decisive = "decisive"
    drop = "drop"
