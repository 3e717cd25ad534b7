"""What `judgekit eval` was asked to do, and the checks every eval path shares before any call."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from judgekit.config import EvalConfig
from judgekit.errors import UsageError
from judgekit.judging.progress import Progress, make_progress
from judgekit.pipeline.ending import PostRun
from judgekit.reporting.messages import say

if TYPE_CHECKING:
    from judgekit.api import Prepared
    from judgekit.batch.driver import BatchOptions
    from judgekit.pipeline.cascade_path import CascadeSpec


@dataclass
class EvalRequest:
    """Everything `judgekit eval` was asked to do."""

    config: EvalConfig
    post: PostRun = field(default_factory=PostRun)
    judges: list[str] = field(default_factory=list)
    """More than one: a panel (each judge its own run, combined per item)."""
    panel_rule: str | None = None
    """A panel's rule (majority, unanimous, mean); None: the default for the data's kind."""
    quorum: int | None = None
    """Valid votes a panel item needs; None: a majority of the judges."""
    batch: BatchOptions | None = None
    quiet: bool = False
    yes: bool = False
    """Agreed beforehand to a score-method fallback that multiplies the judge calls."""
    cascade: CascadeSpec | None = None
    """--cascade: judges tried in turn, each next one only on the items the one before was unsure of."""

    @property
    def is_panel(self) -> bool:
        return len(self.judges) > 1


def refuse(options: list[str], why: str) -> None:
    """Stop before any call: these options cannot apply to this path."""
    if options:
        raise UsageError(f"{', '.join(options)} cannot be used {why}")


def refuse_selected_labels(prepared: Prepared) -> None:
    """Refuse human labels that were not drawn at random (estimates need them random), before any call."""
    from itertools import islice

    from judgekit.metrics.human_anchored import refuse_selected_labels as refuse_unless_random

    config, info = prepared.config, prepared.info
    if config.labels_are_random or not (info.has_human_labels or info.has_human_scores):
        return  # nothing to check: no second pass over the data
    items = islice(prepared.dataset, config.limit) if config.limit else iter(prepared.dataset)
    refuse_unless_random(items, labels_are_random=config.labels_are_random)


def progress_factory(quiet: bool) -> Callable[[], Progress]:
    """The progress display every path starts (none under --quiet)."""
    return lambda: make_progress(enabled=not quiet)


def say_start_notes(prepared: Sequence[Prepared], *, by_judge: bool = False) -> None:
    """What each run says on stderr before its first call (a fallback, a verdict read by its pattern),
    each note once; `by_judge` names the judge it concerns, where the judges' notes differ."""
    notes = (f"{run.grading.judge}: {note}" if by_judge else note for run in prepared for note in run.grading.notes())
    for note in dict.fromkeys(notes):
        say(note)
