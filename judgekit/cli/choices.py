"""Enumerated option values of the CLI alone; choices the library shares are in `judgekit.choices`."""

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


class LevelChoice(str, Enum):
    item = "item"
    group = "group"
    system = "system"


class RetryChoice(str, Enum):
    batch = "batch"
    interactive = "interactive"
    none = "none"
