"""A finished run, read back from its directory: manifest, summary, items and item outcomes.

The gates, the JUnit and Markdown reports and `judgekit diff` all look at a run item by item;
this module gathers what they need from the run directory without calling a model. Item
outcomes are combined exactly as `aggregate` combines them for the summary, so a per-item
report can never disagree with the summary's counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from judgekit.errors import RunDirError
from judgekit.manifest import RunManifest, load_manifest
from judgekit.metrics.items import ItemFacts, ItemOutcome, judge_rows_by_item, stored_outcomes
from judgekit.schema import Item, Judgment
from judgekit.store.rundir import RunDir
from judgekit.summary import Summary


@dataclass
class RunView:
    """Everything about a finished run that per-item reports and gates read."""

    path: Path
    manifest: RunManifest
    summary: Summary
    items: list[Item]
    outcomes: list[ItemOutcome]
    """One per item, in the order of `items`."""
    rows: dict[str, dict[str, Judgment]] = field(default_factory=dict)
    """Judge rows per item id, keyed by call ("single", "AB", "BA"), latest row per call."""

    @property
    def kind(self) -> str:
        return str(self.summary.kind)

    @property
    def template_hash(self) -> str | None:
        return self.manifest.template.hash or None

    @property
    def seed(self) -> int:
        return self.manifest.seed

    @property
    def resamples(self) -> int:
        return self.manifest.resamples

    def explanation(self, item_id: str) -> str:
        """The judge's raw answer(s) for an item, each order labelled under --positions swap."""
        calls = self.rows.get(item_id, {})
        parts = []
        for call in sorted(calls):
            row = calls[call]
            text = row.completion.text if row.completion is not None else (row.reason or "")
            if len(calls) > 1:
                order = "B shown first" if row.swapped else "A shown first"
                parts.append(f"[{call}: {order}]\n{text}")
            elif row.swapped:
                parts.append(f"[B was shown first: the judge's first answer is the dataset's B]\n{text}")
            else:
                parts.append(text)
        return "\n\n".join(parts)


def load_run(path: str | Path, summary: Summary | None = None) -> RunView:
    """Read a run directory. The stored summary.json is used unless `summary` is given
    (`judgekit.pipeline.finished.load_finished` rebuilds a missing one first)."""
    run_dir = RunDir(Path(path))
    manifest = load_manifest(run_dir)
    if summary is None:
        summary = _stored_summary(run_dir)
    limit = manifest.limit
    items = list(islice(run_dir.iter_items(), limit) if limit else run_dir.iter_items())
    by_item = judge_rows_by_item(run_dir.load_judgments())
    outcomes = stored_outcomes(manifest.config, [ItemFacts.of(item) for item in items], by_item)
    return RunView(run_dir.path, manifest, summary, items, outcomes, dict(by_item))


def _stored_summary(run_dir: RunDir) -> Summary:
    if not run_dir.summary_path.exists():
        raise RunDirError(
            f"{run_dir.path}: the run has no summary.json yet; rebuild it with `judgekit report {run_dir.path}`"
        )
    data = run_dir.read_summary()
    try:
        return Summary.model_validate(data)
    except ValueError as exc:
        raise RunDirError(
            f"{run_dir.summary_path}: cannot read the summary ({exc.__class__.__name__}); "
            f"rebuild it with `judgekit report {run_dir.path}`"
        ) from None
