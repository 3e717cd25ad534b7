"""Read a finished run's stored judge answers again, without calling a model.

`judgekit report RUN_DIR --reparse` uses this after a parser fix (or an edited verdict pattern
in the run's `template.jinja`): every row that holds a judge's answer is read again with the
run's stored template and the current parser, using the same rules as a live run (the prompt
is rendered again from `items.jsonl`, so quotes of the prompt are still recognised).

What happens to the files:

- `judgments.jsonl` is rewritten atomically (a temporary file, then a rename): readers see the
  old file or the new one, never half of either. The raw answers, token counts, latencies and
  retry counts are copied unchanged; only the parsed fields (status, verdict, score, reason,
  probabilities) are recomputed, so re-parsing loses nothing and can be repeated.
- The file as it was before is kept as `judgments.jsonl.bak` (replaced by each re-parse), so
  old and new verdicts can be compared.
- Rows of failed calls and rows that are not judge verdicts are kept as they are.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from typing import Any

from judgekit.backends.registry import parse_spec
from judgekit.errors import RunDirError, TemplateError
from judgekit.inputs.prompts import Template
from judgekit.inputs.template_files import load_file
from judgekit.judging import calls
from judgekit.judging.grading import TEMPLATES_DIR
from judgekit.manifest import RunManifest, load_manifest
from judgekit.schema import Item, JudgeRequest, Judgment, SamplingParams
from judgekit.store.cache import request_key
from judgekit.store.rundir import JUDGMENTS, TEMPLATE_COPY, RunDir

BACKUP_SUFFIX = ".bak"

_PARSED_FIELDS = (
    "status",
    "verdict",
    "shown",
    "strong",
    "score",
    "scores",
    "pick",
    "criteria",
    "probabilities",
    "valid_mass",
    "method",
    "reason",
)


@dataclass
class ReparseResult:
    """What a re-parse changed."""

    read: int = 0
    """Stored answers read again."""
    changed: int = 0
    """Rows whose parsed fields differ from before."""
    newly_scored: int = 0
    newly_unscored: int = 0
    kept: int = 0
    """Rows kept as they were (failed calls, non-judge rows, items no longer in items.jsonl)."""
    prompt_differs: int = 0
    """Answers whose prompt renders differently today than when the call was made (judgekit's
    rendering changed, or template.jinja was edited); quotes are checked against today's prompt."""
    template_edited: bool = False
    unrendered: int = 0
    """Answers whose prompt could not be rendered again (G-Eval steps, generated references):
    read without checking for quoted markers."""
    notes: list[str] = field(default_factory=list)


def _template(run_dir: RunDir, manifest: RunManifest) -> tuple[Template, bool]:
    path = run_dir.path / TEMPLATE_COPY
    if not path.is_file():
        raise RunDirError(f"{run_dir.path}: {TEMPLATE_COPY} is missing; the answers cannot be read again without it")
    info = manifest.template
    template = load_file(path, name=info.name or path.stem, builtin=info.builtin)
    if not isinstance(template, Template):
        raise RunDirError(f"{path}: not a judge template")
    return template, bool(info.hash) and template.hash != info.hash


def _other_templates(run_dir: RunDir, main: Template) -> dict[str, Template]:
    """Judge templates of multi-template runs (e.g. --domain auto), from the run's templates/ copies."""
    found = {main.name: main}
    folder = run_dir.path / TEMPLATES_DIR
    if folder.is_dir():
        for path in sorted(folder.glob("*.jinja")):
            loaded = load_file(path)
            if isinstance(loaded, Template):
                builtin_name = path.stem.replace("-", "/", 1)
                found.setdefault(builtin_name, loaded)
                found.setdefault(path.name, loaded)
    return found


def _setup(manifest: RunManifest, template: Template) -> calls.JudgeSetup:
    spec = parse_spec(manifest.judge)
    try:
        params = SamplingParams.model_validate(manifest.resolved.get("params", {}))
    except ValueError as exc:
        raise RunDirError(f"{manifest.run_id}: run.json has unreadable sampling parameters ({exc})") from None
    return calls.JudgeSetup(
        judge=str(spec),
        model=spec.model,
        template=template,
        params=params,
        positions=manifest.config.positions,
        seed=manifest.seed,
        method=manifest.method or "parse",  # type: ignore[arg-type]
        schema=template.meta.verdict.json_schema(),  # every built-in backend sends it
    )


def _parsed(row: Judgment) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in _PARSED_FIELDS)


def reparse_run(run_dir: RunDir) -> ReparseResult:
    """Re-read every stored judge answer of `run_dir` and rewrite its judgments.jsonl."""
    manifest = load_manifest(run_dir)
    template, edited = _template(run_dir, manifest)
    setup = _setup(manifest, template)
    templates = _other_templates(run_dir, template)
    setups: dict[str, calls.JudgeSetup] = {template.name: setup}
    provider = setup.judge.split("/", 1)[0]
    endpoint = manifest.endpoint
    items: dict[str, Item] = {item.id: item for item in run_dir.iter_items()}
    rows = run_dir.load_judgments(repair=True)
    result = ReparseResult(template_edited=edited)
    if edited:
        result.notes.append(f"{TEMPLATE_COPY} differs from the template the run was made with; it is used as it is now")
    plans: dict[tuple[str, str], dict[str, calls.PlannedCall] | None] = {}
    updated: list[Judgment] = []
    for row in rows:
        item = items.get(row.item_id)
        if row.role != "judge" or row.completion is None or row.status == "error" or item is None:
            result.kept += 1
            updated.append(row)
            continue
        row_setup = setups.get(row.template or template.name)
        if row_setup is None:
            other = templates.get(row.template or "")
            schema = other.meta.verdict.json_schema() if other else None
            row_setup = replace(setup, template=other, schema=schema) if other else setup
            setups[row.template or ""] = row_setup
        plan_key = (item.id, row_setup.template.name)
        if plan_key not in plans:
            try:
                plans[plan_key] = {planned.call: planned for planned in calls.plan(item, row_setup)}
            except TemplateError:
                # Templates fed by the pipeline (G-Eval steps, generated references) cannot be
                # rendered from items.jsonl alone; the answer is read without quote detection.
                plans[plan_key] = None
        item_plans = plans[plan_key]
        if item_plans is None:
            result.unrendered += 1
            request = JudgeRequest(model=row_setup.model, messages=(), params=row_setup.params)
            planned = calls.PlannedCall(item=item, call=row.call, swapped=row.swapped, request=request)
        else:
            found = item_plans.get(row.call)
            if found is None or found.swapped != row.swapped:
                result.kept += 1
                updated.append(row)
                continue
            planned = found
        if item_plans is not None and request_key(provider, endpoint, planned.request) != row.request_hash:
            result.prompt_differs += 1
        reading = calls.read(planned, row.completion, row_setup)
        fresh = calls.to_judgment(planned, row_setup, row.request_hash, row.completion, reading)
        new_row = row.model_copy(update={name: getattr(fresh, name) for name in _PARSED_FIELDS})
        result.read += 1
        if _parsed(new_row) != _parsed(row):
            result.changed += 1
            result.newly_scored += row.status != "ok" and new_row.status == "ok"
            result.newly_unscored += row.status == "ok" and new_row.status != "ok"
        updated.append(new_row)
    if run_dir.judgments_path.exists():
        backup = run_dir.path / f"{JUDGMENTS}{BACKUP_SUFFIX}"
        shutil.copyfile(run_dir.judgments_path, backup)
    run_dir.rewrite_judgments(updated)
    if result.unrendered:
        result.notes.append(
            f"{result.unrendered} prompts need pipeline inputs (evaluation steps or generated references) "
            "and were not rendered again; their answers were read without checking for quoted markers"
        )
    if result.prompt_differs:
        result.notes.append(
            f"{result.prompt_differs} prompts render differently now than when they were sent; "
            "quoted markers were checked against today's rendering"
        )
    return result
