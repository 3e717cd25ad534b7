"""The configuration of an evaluation run, and judgekit's settings files.

`EvalConfig` holds every option of `judgekit eval`; the CLI fills it and the library accepts
it directly. Defaults for any command's options may also come from a `judgekit.toml` in the
working directory or a `[tool.judgekit]` table in its `pyproject.toml`, keyed by command
(`[tool.judgekit.eval] judge = "openai/gpt-4o-mini"`). Command-line options and JUDGEKIT_*
environment variables win over the file.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from judgekit.choices import DEFAULT_SWAP_BELOW, DomainName, OrderRule, Positions, ReasoningEffort, ScoreMethod
from judgekit.errors import UsageError
from judgekit.stats.intervals import DEFAULT_RESAMPLES

Mode = Literal["pairwise", "pointwise", "reference", "geval"]
"""pairwise/pointwise force a kind; reference and geval are grading modes (see grading.py)."""


class EvalConfig(BaseModel):
    """Options of one evaluation run."""

    model_config = ConfigDict(extra="forbid")

    dataset: str
    """Path of the data file (JSONL, CSV or JSON array)."""
    judge: str
    """The judge as provider/model, e.g. openai/gpt-4o-mini."""
    mode: Mode | None = None
    """pairwise or pointwise (by default the template's kind, else the data's); reference for
    reference-guided grading; geval for G-Eval's two stages (needs `criterion`)."""
    prompt: str | None = None
    """Built-in template name or path of a .jinja file; by default the mode's standard one."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Canonical field -> source column."""
    positions: Positions = "random"
    swap_below: float = Field(default=DEFAULT_SWAP_BELOW, ge=0.0, le=1.0)
    """--positions adaptive judges an item's other order when the first verdict's confidence is
    below this (see `metrics.adaptive`); every run counts its verdicts below it as unsure."""
    swap_audit: float = Field(default=0.0, ge=0.0, le=1.0)
    """--positions adaptive also judges this seeded share of the sure items in both orders, to
    estimate how many of full swap's verdicts the run kept (see `metrics.adaptive`)."""
    order_disagreement: OrderRule | None = None
    """--positions swap: the item verdict when the two orders disagree (see `metrics.orders`);
    None: the mean of the two orders' probabilities when both carry them, else tie. It decides no
    judgment, so it is not part of the run id: resuming with another rule re-aggregates the run."""
    strong_weight: float | None = Field(default=None, gt=0)
    """Graded templates: the votes a strong preference (A>>B) counts for; None: the template's
    `strong_weight`, else 3. Like order_disagreement it decides no judgment (not in the run id)."""
    seed: int = 0
    temperature: float | None = None
    """Overrides the template's temperature."""
    max_tokens: int | None = None
    """Overrides the template's max_tokens."""
    reasoning_effort: ReasoningEffort | None = None
    """OpenAI reasoning models (o-series, gpt-5): how much they reason before answering."""
    thinking_budget: int | None = Field(default=None, ge=1)
    """A thinking budget (Anthropic extended thinking, Gemini thinking_config): the tokens the judge may
    think for before its verdict."""
    limit: int | None = Field(default=None, ge=1)
    """Judge only the first N items (at least 1)."""
    max_chars: int = 100_000
    truncate: bool = False
    base_url: str | None = None
    """Overrides OPENAI_BASE_URL / ANTHROPIC_BASE_URL for this run."""
    concurrency: int = 16
    timeout: float = 60.0
    max_retries: int = 6
    retry_base_delay: float = 1.0
    max_calls: int | None = None
    max_errors: int = 0
    """Items allowed to fail after retries before the run exits with code 3."""
    cache: bool = True
    cache_dir: str | None = None
    out: str | None = None
    """Run directory; by default runs/<data>-<kind>-<judge>-<run id>."""
    runs_root: str = "runs"
    fresh: bool = False
    """Start the run directory afresh instead of resuming it."""
    bootstrap_resamples: int = DEFAULT_RESAMPLES
    group_by: str | None = None
    """Column whose groups (or systems) the human correlation is computed per (see `levels`)."""
    level: Literal["item", "group", "system"] | None = None
    """Correlation level: item (default), group (per group, then averaged) or system."""
    domain: DomainName = "general"
    """Built-in prompt by domain; auto picks per item from its category."""
    criterion: str | None = None
    """G-Eval criterion: a built-in name, a criterion file, or a sentence (implies mode geval)."""
    steps: str | None = None
    """G-Eval: a file of evaluation steps to use instead of generating them."""
    generate_reference: bool = False
    """Have the judge write a reference answer for items that lack one."""
    rubric: str | None = None
    """A rubric file for items without their own rubric (text, or YAML/JSON score -> description)."""
    checklist: str | None = None
    """A checklist file (YAML/JSON list of {criterion, points}) for items without `rubric_items`."""
    score_method: ScoreMethod | None = None
    """How a verdict becomes a number; default parse (auto under geval, samples with `samples`)."""
    samples: int | None = None
    """Samples per judge call under the samples method (default 20)."""
    steps_prompt: str | None = None
    """Template (role steps) that asks for G-Eval's evaluation steps (default steps/geval)."""
    reference_prompt: str | None = None
    """Template (role reference) that asks for a reference answer (default reference/answer)."""
    endpoints: list[str] = Field(default_factory=list)
    """Several base URLs serving the same judge (`URL` or `URL@N`), load-balanced; the first
    is also `base_url` and names the cache identity of all of them."""
    endpoint_concurrency: int | None = None
    """Requests in flight at most per endpoint (for endpoints without their own `@N`)."""
    adaptive: bool = False
    """Halve the requests in flight on rate limits (429) and let them grow back, up to `concurrency`."""
    max_cost: float | None = None
    """Stop cleanly before this session's spending could pass this many US dollars."""
    price_in: float | None = None
    """US dollars per million input tokens (overrides the built-in price table)."""
    price_out: float | None = None
    """US dollars per million output tokens (overrides the built-in price table)."""
    threads: int | None = None
    """CPU threads for an in-process local model (default: the physical cores)."""
    labels_are_random: bool = False
    """Take the items carrying human labels as a random sample without checking (see
    `judgekit.metrics.human_anchored`): the corrected estimates rest on it."""

    def identity(self, resolved: dict[str, Any]) -> str:
        """Run id: a hash of everything that decides the judgments (not speed or retry settings).

        `limit` is left out: it says how many of the items to judge, not how any is judged, so
        a run grows from `--limit 5` to the whole dataset in the same directory."""
        payload = identity_payload(self.model_dump(), resolved)
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:12]


IDENTITY_OPTIONS = ("positions", "seed", "max_chars", "truncate")
"""Options that, with what a run resolves (data hash, template hash, judge, parameters, ...),
decide its judgments; any other option may differ between sessions of one run."""


def identity_payload(config: Mapping[str, Any], resolved: Mapping[str, Any]) -> dict[str, Any]:
    """What a run's id is a hash of: the deciding options and the resolved settings."""
    payload = {name: config.get(name) for name in IDENTITY_OPTIONS}
    if config.get("positions") == "adaptive":  # only here: the ids of other runs stay as they were
        payload["swap_below"] = config.get("swap_below")
        if config.get("swap_audit"):  # only when given: adaptive runs without an audit keep their ids
            payload["swap_audit"] = config.get("swap_audit")
    return {**payload, **resolved}


def changed_settings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The settings that differ between two run manifests, each as `key old -> new`.

    Only what decides the judgments is compared (see `identity_payload`); nested settings
    are named by their dotted path (`params.temperature`), and the template's name is shown
    beside its hash so a person can tell which template each run used.
    """
    before = _flat(identity_payload(old.get("config", {}), old.get("resolved", {})))
    after = _flat(identity_payload(new.get("config", {}), new.get("resolved", {})))
    changes = [
        f"{key} {_shown(before.get(key))} -> {_shown(after.get(key))}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    ]
    if any(change.startswith("template_hash ") for change in changes):
        names = (old.get("template", {}).get("name"), new.get("template", {}).get("name"))
        if names[0] != names[1]:
            # The template's name says it; the grading plan's per-template entries only repeat it.
            changes = [change for change in changes if not change.startswith(("grading.templates.", "grading.by_"))]
            changes.insert(0, f"template {_shown(names[0])} -> {_shown(names[1])}")
    return changes


def check_same_run(path: Path, existing: Mapping[str, Any], new: Mapping[str, Any]) -> None:
    """Refuse to continue a run directory whose run was made with other deciding settings,
    naming each setting that differs (old -> new)."""
    from judgekit.errors import RunDirError
    from judgekit.redact import redact_data

    changes = changed_settings(existing, redact_data(new))  # what run.json holds is redacted
    if changes:
        raise RunDirError(
            f"{path} holds a run with a different configuration ({'; '.join(changes)}); "
            "pass --fresh to replace it or --out to choose another directory"
        )


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(_flat(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _shown(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_settings(directory: Path) -> tuple[dict[str, Any], Path | None]:
    """Command defaults from judgekit.toml or pyproject.toml's [tool.judgekit], if present."""
    candidates = [(directory / "judgekit.toml", False), (directory / "pyproject.toml", True)]
    for path, nested in candidates:
        if not path.is_file():
            continue
        data = _read_toml(path)
        if nested:
            tool = data.get("tool", {})
            if not isinstance(tool, dict) or "judgekit" not in tool:
                continue
            data = tool["judgekit"]
        if not isinstance(data, dict):
            raise UsageError(f"{path}: judgekit settings must be a table")
        return data, path
    return {}, None


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: invalid TOML ({exc})") from None
