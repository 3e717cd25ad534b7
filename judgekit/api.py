"""Run an evaluation end to end, or rebuild a run's summary from its directory.

    prepare()  check the data, template and judge; decide the run directory  (no side effects)
    execute()  create or resume the run directory and make the calls         (async)
    finish()   aggregate the stored rows into summary.json                    (no model calls)

`run_eval` does all three; `report` is `finish` on an existing run directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import platform
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any

from judgekit import __version__, judging
from judgekit.aggregate import Aggregation, aggregate
from judgekit.backends.base import Backend, BackendOptions
from judgekit.backends.registry import ModelSpec, create_backend, parse_spec
from judgekit.config import EvalConfig
from judgekit.datasets import Dataset, DatasetInfo, ReadOptions
from judgekit.errors import DatasetError, FatalProviderError, RunDirError, TemplateError, UsageError
from judgekit.prompts import Template, load, missing_requirements
from judgekit.reporting.progress import NullProgress, Progress
from judgekit.rundir import RunDir, latest_rows
from judgekit.runner import BudgetReached, Counters, Executor, RunnerOptions, run_items
from judgekit.schema import Item, Judgment, Kind, SamplingParams
from judgekit.summary import Counts, Summary

DEFAULT_TEMPLATES: dict[str, str] = {"pairwise": "pairwise/verdict", "pointwise": "pointwise/score"}


@dataclass
class Prepared:
    """A checked run, ready to execute."""

    config: EvalConfig
    dataset: Dataset
    info: DatasetInfo
    template: Template
    spec: ModelSpec
    backend: Backend
    setup: judging.JudgeSetup
    run_dir: RunDir
    run_id: str
    manifest: dict[str, Any]


@dataclass
class EvalResult:
    summary: Summary
    run_dir: Path
    counters: Counters = field(default_factory=Counters)
    """What this session did (calls made, cache hits, calls resumed from earlier attempts)."""
    stop_reason: str | None = None
    """Why the run stopped before the end (budget, fatal provider error), if it did."""


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"judgekit": __version__, "python": platform.python_version()}
    for package in ("openai", "anthropic", "jinja2", "scipy", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_")[:60]


def resolve_template(config: EvalConfig, data_kind: Kind) -> Template:
    kind: Kind = config.mode or data_kind
    template = load(config.prompt) if config.prompt else load(DEFAULT_TEMPLATES[kind])
    if template.meta.role != "judge":
        raise TemplateError(f"template {template.name} generates {template.meta.role}; it cannot judge")
    if config.mode is not None and template.meta.kind != config.mode:
        raise UsageError(f"template {template.name} is {template.meta.kind} but --mode is {config.mode}")
    return template


def prepare(config: EvalConfig, backend: Backend | None = None) -> Prepared:
    """Validate everything a run needs before anything is written or paid for."""
    spec = parse_spec(config.judge)
    dataset = Dataset(
        config.dataset, ReadOptions(fields=config.fields, max_chars=config.max_chars, truncate=config.truncate)
    )
    first = next(iter(dataset), None)
    if first is None:
        raise DatasetError(config.dataset, None, None, "no rows")
    template = resolve_template(config, first.kind)

    def check(item: Item) -> None:
        missing = missing_requirements(item, template)
        if missing:
            raise DatasetError(
                config.dataset,
                item.line,
                missing[0],
                f"template {template.name} needs '{missing[0]}' but the row has none",
            )

    info = dataset.scan(kind=template.meta.kind, check=check)
    if backend is None:
        backend = create_backend(
            spec.provider,
            BackendOptions(timeout=config.timeout, base_url=config.base_url, extra=_backend_extra(config, spec)),
        )
    method: judging.ScoreMethod = config.score_method or "parse"
    use_logprobs = method == "logprobs" and backend.capabilities.logprobs
    params = SamplingParams(
        temperature=config.temperature if config.temperature is not None else template.meta.params.temperature,
        max_tokens=config.max_tokens or template.meta.params.max_tokens,
        seed=config.seed if backend.capabilities.seed else None,
        logprobs=use_logprobs,
        top_logprobs=(backend.capabilities.max_top_logprobs or None) if use_logprobs else None,
    )
    setup = judging.JudgeSetup(
        judge=str(spec),
        model=spec.model,
        template=template,
        params=params,
        positions=config.positions,
        seed=config.seed,
        method=method,
    )
    judging.plan(first, setup)  # renders one item now, so a template mistake stops us here
    resolved = {
        "dataset_sha256": info.sha256,
        "mapping": info.mapping,
        "kind": info.kind,
        "template_hash": template.hash,
        "judge": str(spec),
        "endpoint": backend.endpoint,
        "params": params.model_dump(),
        "method": setup.method,
    }
    run_id = config.identity(resolved)
    if config.out:
        path = Path(config.out)
    else:
        stem = _slug(Path(config.dataset).stem)
        path = Path(config.runs_root) / f"{stem}-{info.kind}-{_slug(str(spec))}-{run_id[:8]}"
    manifest = {
        "version": 1,
        "run_id": run_id,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config.model_dump(),
        "resolved": resolved,
        "dataset": info.__dict__,
        "template": _template_info(template),
        "judge": str(spec),
        "endpoint": backend.endpoint,
        "versions": versions(),
    }
    return Prepared(config, dataset, info, template, spec, backend, setup, RunDir(path), run_id, manifest)


def _backend_extra(config: EvalConfig, spec: ModelSpec) -> dict[str, Any]:
    """Settings for backends that load the model themselves (local/): which model, how many threads."""
    extra: dict[str, Any] = {"model": spec.model}
    if config.threads:
        extra["threads"] = config.threads
    return extra


def _template_info(template: Template) -> dict[str, Any]:
    return {
        "name": template.name,
        "hash": template.hash,
        "builtin": template.builtin,
        "kind": template.meta.kind,
        "follows": template.meta.follows,
        "verdict": template.meta.verdict.model_dump(),
    }


def _open_run_dir(prepared: Prepared) -> list[Judgment]:
    """Start the run directory, or resume it; returns the rows already there."""
    run_dir, config = prepared.run_dir, prepared.config
    if run_dir.exists() and not config.fresh:
        existing = run_dir.read_manifest()
        if existing.get("run_id") != prepared.run_id:
            raise RunDirError(
                f"{run_dir.path} holds a run with a different configuration "
                f"(judge {existing.get('judge')}, template {existing.get('template', {}).get('name')}); "
                "pass --fresh to replace it or --out to choose another directory"
            )
        return run_dir.load_judgments(repair=True)
    if run_dir.path.exists() and any(run_dir.path.iterdir()) and not run_dir.exists() and not config.fresh:
        raise RunDirError(f"{run_dir.path} exists and is not a judgekit run directory; choose another --out")
    run_dir.start(prepared.manifest, prepared.template.source, prepared.dataset)
    return []


async def execute(prepared: Prepared, progress: Progress | None = None) -> EvalResult:
    """Make the run's calls (resuming what an earlier attempt left) and aggregate them."""
    from judgekit.cache import CompletionCache

    progress = progress or NullProgress()
    config = prepared.config
    earlier = _open_run_dir(prepared)
    cache = None
    if config.cache:
        cache = CompletionCache(Path(config.cache_dir).expanduser() if config.cache_dir else None)
    writer = prepared.run_dir.open_writer()
    # An in-process model answers one request at a time: more in flight would only queue.
    concurrency = config.concurrency if prepared.backend.capabilities.concurrent else 1
    executor = Executor(
        prepared.backend,
        writer,
        cache=cache,
        resumed=earlier,
        options=RunnerOptions(
            concurrency=concurrency,
            max_retries=config.max_retries,
            retry_base_delay=config.retry_base_delay,
            max_calls=config.max_calls,
        ),
        on_row=progress.on_row,
    )
    setup = prepared.setup

    async def judge_item(item: Item) -> None:
        calls = judging.plan(item, setup)
        if len(calls) == 1:
            await executor.judge(calls[0], setup)
        else:
            await asyncio.gather(*(executor.judge(call, setup) for call in calls))
        progress.advance()

    total = min(prepared.info.rows, config.limit) if config.limit else prepared.info.rows
    items = islice(prepared.run_dir.iter_items(), total)
    started = time.monotonic()
    progress.start(total, f"judging with {prepared.spec}")
    stop_reason = None
    try:
        await run_items(items, judge_item, workers=concurrency)
    except (BudgetReached, FatalProviderError) as exc:
        # Stop cleanly: every finished call is on disk; the summary covers what was judged.
        stop_reason = str(exc)
    finally:
        progress.stop()
        writer.close()
        if cache is not None:
            cache.close()
        await prepared.backend.aclose()
    elapsed = time.monotonic() - started
    runtime = getattr(prepared.backend, "runtime", None)  # in-process models report load time and tokens/s
    summary = finish(
        prepared.run_dir,
        status="incomplete" if stop_reason else "complete",
        wall_s=elapsed,
        backend_timing=runtime() if callable(runtime) else None,
    )
    return EvalResult(summary, prepared.run_dir.path, executor.counters, stop_reason)


def run_eval(config: EvalConfig, *, progress: Progress | None = None, backend: Backend | None = None) -> EvalResult:
    """Judge a dataset end to end (the library form of `judgekit eval`)."""
    prepared = prepare(config, backend=backend)
    return asyncio.run(execute(prepared, progress))


def finish(
    run_dir: RunDir,
    *,
    status: str = "complete",
    wall_s: float | None = None,
    backend_timing: dict[str, float] | None = None,
) -> Summary:
    """Aggregate a run directory's rows into summary.json (no model calls)."""
    manifest = run_dir.read_manifest()
    config = manifest.get("config", {})
    limit = config.get("limit")
    items = list(islice(run_dir.iter_items(), limit) if limit else run_dir.iter_items())
    all_rows = run_dir.load_judgments()
    verdict = manifest.get("template", {}).get("verdict", {})
    scale = (float(verdict["scale"][0]), float(verdict["scale"][1])) if verdict.get("scale") else None
    result = aggregate(
        items,
        all_rows,
        scale=scale,
        method=manifest.get("resolved", {}).get("method"),
        resamples=int(config.get("bootstrap_resamples", 2000)),
        seed=int(config.get("seed", 0)),
    )
    counts = _call_counts(result, all_rows)
    if status == "complete" and (counts.pending or counts.errors):
        status = "incomplete"
    summary = Summary(
        status=status,  # type: ignore[arg-type]
        run_dir=str(run_dir.path),
        kind=result.kind,  # type: ignore[arg-type]
        judge=manifest.get("judge", ""),
        template=manifest.get("template", {}),
        dataset={key: manifest.get("dataset", {}).get(key) for key in ("path", "format", "rows", "sha256", "mapping")},
        config=config,
        judgekit_version=__version__,
        counts=counts,
        pairwise=result.pairwise,
        pointwise=result.pointwise,
        bias=result.bias,
        human=result.human,
        failed_items=result.failed_items,
        unscored_items=result.unscored_items,
        warnings=_warnings(result, manifest),
        timing={**({"wall_s": round(wall_s, 3)} if wall_s is not None else {}), **(backend_timing or {})},
    )
    run_dir.write_summary(summary.model_dump(mode="json"))
    return summary


def _call_counts(result: Aggregation, all_rows: list[Judgment]) -> Counts:
    """Call statistics over the whole run directory, so a resumed run reports like one run."""
    counts = result.counts.model_copy()
    latest = latest_rows(all_rows).values()
    for row in latest:
        if row.completion is not None and not row.cached:
            counts.calls += 1
            counts.prompt_tokens += row.completion.prompt_tokens or 0
            counts.completion_tokens += row.completion.completion_tokens or 0
        counts.cached += row.cached
        if row.status == "error":
            counts.failures[row.error_kind or "other"] = counts.failures.get(row.error_kind or "other", 0) + 1
    for row in all_rows:
        counts.requests += row.attempts
        for kind, number in row.retries.items():
            counts.retries[kind] = counts.retries.get(kind, 0) + number
    return counts


def _warnings(result: Aggregation, manifest: dict[str, Any]) -> list[str]:
    warnings = []
    counts = result.counts
    if counts.unscored:
        warnings.append(
            f"{counts.unscored} of {counts.items} items are unscored (no valid verdict); "
            "they are left out of every rate"
        )
    if counts.errors:
        warnings.append(f"{counts.errors} items failed after retries; run the same command again to retry only them")
    if counts.pending:
        warnings.append(f"{counts.pending} items were not judged; run the same command again to finish")
    truncated = manifest.get("dataset", {}).get("truncated")
    if truncated:
        warnings.append(f"{truncated} texts were cut to --max-chars characters (--truncate)")
    return warnings


def report(run_dir: str | Path) -> Summary:
    """Rebuild a run's summary.json from its stored judgments (the library form of `judgekit report`)."""
    return finish(RunDir(Path(run_dir)), status="complete")


def config_from_run(run_dir: str | Path) -> EvalConfig:
    """The configuration a run directory was made with (for `judgekit eval --resume`)."""
    path = Path(run_dir)
    manifest = RunDir(path).read_manifest()
    try:
        config = EvalConfig.model_validate(manifest["config"])
    except (KeyError, ValueError) as exc:
        raise RunDirError(f"{path}/run.json: the stored configuration cannot be read ({exc})") from None
    return config.model_copy(update={"out": str(path), "fresh": False})
