"""The run record: `run.json`, typed, with one loader and every default defined once.

`RunManifest` is what a run directory says about how its judgments were made: the full
configuration (`EvalConfig`), what the options resolved to (data kind, sampling parameters,
score method, grading plan), the dataset's and template's fingerprints, the judge and the
versions of the software. Everything that reads a run (report, gate, diff, reparse, the HTML
page, comparisons) reads it through `load_manifest`, so a default such as the bootstrap's
resamples or the answer positions lives in `EvalConfig` alone.

Run directories written before the record was typed carry the same keys and load unchanged;
a record from a newer judgekit (a higher `version`) is refused with one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from judgekit.config import EvalConfig
from judgekit.errors import RunDirError
from judgekit.store.rundir import RunDir
from judgekit.summary import StageUsage

MANIFEST_VERSION = 1
Kind = Literal["pairwise", "pointwise", "listwise"]


class TemplateRecord(BaseModel):
    """The judge template as it was used (its source is kept beside run.json in template.jinja)."""

    model_config = ConfigDict(extra="allow")

    name: str = ""
    hash: str | None = None
    builtin: bool = False
    kind: Kind | None = None
    follows: str | None = None
    """The published protocol the template follows, if any."""
    verdict: dict[str, Any] = Field(default_factory=dict)
    """The verdict declaration from the template's front matter (type, pattern, choices, scale)."""

    @property
    def scale(self) -> tuple[float, float] | None:
        """The score range of a pointwise template, e.g. (1, 10)."""
        scale = self.verdict.get("scale")
        return (float(scale[0]), float(scale[1])) if scale else None

    @property
    def choices(self) -> dict[str, float] | None:
        """A pointwise choice template's scores per label, e.g. {PASS: 1, FAIL: 0}; None otherwise
        (a pairwise choice template maps its labels to answer positions, not to scores)."""
        choices = self.verdict.get("choices") if self.verdict.get("type") == "choice" else None
        if self.kind == "listwise":
            return None  # a listwise choice is a shown position, not a score
        if not choices or not all(_is_number(value) for value in choices.values()):
            return None
        return {str(label): float(value) for label, value in choices.items()}


class DatasetRecord(BaseModel):
    """The data file as it was read: where, how many rows, its fingerprint and column mapping."""

    model_config = ConfigDict(extra="allow")

    path: str = ""
    format: str = ""
    rows: int = 0
    kind: Kind | None = None
    sha256: str | None = None
    columns: list[str] = Field(default_factory=list)
    mapping: dict[str, str] = Field(default_factory=dict)
    """Canonical field -> the data's column."""
    truncated: int = 0
    has_human_labels: bool = False
    has_human_scores: bool = False
    has_categories: bool = False
    has_checklists: bool = False
    """Items carry checklist criteria (`rubric_items` or `--checklist`)."""
    has_human_rubric: bool = False
    """Items carry a human's verdict per checklist criterion (`human_rubric`)."""


class PanelRecord(BaseModel):
    """For a panel's combined run: how the member judges' verdicts were combined."""

    rule: str
    quorum: int | None = None
    """Valid votes an item needed for a panel verdict (None in records written before quorums)."""
    judges: list[str]
    members: list[str]
    """The members' run directories."""
    usage: list[StageUsage] = Field(default_factory=list)
    """What each member's run did (calls, tokens, cost), which the panel's summary reports as its own:
    the calls were made in the members' directories."""


class CascadeRecord(BaseModel):
    """For a cascade's combined run (`<out>/cascade/`): its judges and what each stage's run did, so the
    combined run reports the calls and cost that were made in the stages' own directories."""

    judges: list[str]
    stages: list[StageUsage]


class RunManifest(BaseModel):
    """run.json: how a run's judgments were made (enough to resume, re-parse or re-aggregate)."""

    model_config = ConfigDict(extra="allow")

    version: int = MANIFEST_VERSION
    """Schema version of this record."""
    run_id: str
    """Hash of everything that decides the judgments; a resumed run must match it."""
    created: str = ""
    config: EvalConfig
    resolved: dict[str, Any] = Field(default_factory=dict)
    """What the options resolved to: kind, sampling parameters, score method, grading plan."""
    dataset: DatasetRecord = Field(default_factory=DatasetRecord)
    template: TemplateRecord = Field(default_factory=TemplateRecord)
    judge: str = ""
    """The judge as provider/model (a panel's name for a panel's combined run)."""
    endpoint: str = ""
    """Where requests went (credentials removed)."""
    versions: dict[str, str] = Field(default_factory=dict)
    panel: PanelRecord | None = None
    cascade: CascadeRecord | None = None

    @property
    def kind(self) -> Kind:
        kind = self.resolved.get("kind") or self.dataset.kind or self.template.kind
        return kind if kind in ("pairwise", "listwise") else "pointwise"

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def resamples(self) -> int:
        return self.config.bootstrap_resamples

    @property
    def limit(self) -> int | None:
        return self.config.limit

    @property
    def method(self) -> str | None:
        method = self.resolved.get("method")
        return str(method) if method else None

    def as_dict(self) -> dict[str, Any]:
        """The record as plain JSON data (for views that walk it by key)."""
        return self.model_dump(mode="json")


def load_manifest(run_dir: RunDir | Path | str) -> RunManifest:
    """Read and check a run directory's run.json; a damaged or foreign one is one clear line."""
    directory = run_dir if isinstance(run_dir, RunDir) else RunDir(Path(run_dir))
    return parse_manifest(directory.read_manifest(), directory.manifest_path)


def parse_manifest(data: dict[str, Any], where: Path | str = "run.json") -> RunManifest:
    version = data.get("version", MANIFEST_VERSION)
    if isinstance(version, int) and version > MANIFEST_VERSION:
        raise RunDirError(
            f"{where}: written by a newer judgekit (run record version {version}, this one reads up to "
            f"{MANIFEST_VERSION}); upgrade judgekit to read it"
        )
    try:
        return RunManifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise RunDirError(
            f"{where}: the run record cannot be read (field '{field}': {first['msg']}); "
            "re-run the evaluation with --fresh to rewrite it"
        ) from None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
