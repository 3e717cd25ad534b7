"""Run an evaluation end to end, or rebuild a run's summary from its directory.

    prepare()  check the data, template and judge; decide the run directory  (no side effects)
    execute()  create or resume the run directory and make the calls         (async)
    finish()   aggregate the stored rows into summary.json                    (no model calls)

`run_eval` does all three; `report` is `finish` on an existing run directory (after
re-reading every stored answer with the current parser when asked: see `reparse.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import platform
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from judgekit.backends.base import (
    Backend,
    BackendOptions,
    ChecksModels,
    ReportsEndpoints,
    ReportsRuntime,
    capabilities_of,
)
from judgekit.backends.registry import ModelSpec, create_backend, parse_spec
from judgekit.config import EvalConfig, check_same_run
from judgekit.errors import DatasetError, RunDirError, UsageError
from judgekit.inputs.checklists import load_checklist
from judgekit.inputs.datasets import Dataset, DatasetInfo, ReadOptions
from judgekit.inputs.prompts import Template
from judgekit.judging import calls
from judgekit.judging.grading import Grading
from judgekit.judging.planning import plan_grading
from judgekit.judging.pricing import require_prices, resolve_prices
from judgekit.judging.progress import NullProgress, Progress
from judgekit.judging.runner import STOPS_THE_RUN, BudgetReached, Counters, Executor, RunnerOptions, run_items
from judgekit.manifest import DatasetRecord, RunManifest, TemplateRecord, load_manifest
from judgekit.schema import Item, Judgment
from judgekit.store.rundir import RunDir, slug
from judgekit.summarize import finish as finish  # part of the public face (api.finish)
from judgekit.summary import Summary
from judgekit.version import __version__

if TYPE_CHECKING:
    from judgekit.judging.reparse import ReparseResult

DEFAULT_TEMPLATES: dict[str, str] = {
    "pairwise": "pairwise/verdict",
    "pointwise": "pointwise/score",
    "listwise": "listwise/best",
}


@dataclass
class Prepared:
    """A checked run, ready to execute."""

    config: EvalConfig
    dataset: Dataset
    info: DatasetInfo
    template: Template
    spec: ModelSpec
    backend: Backend
    setup: calls.JudgeSetup
    run_dir: RunDir
    run_id: str
    manifest: RunManifest
    grading: Grading
    """Templates per item, auxiliary calls (steps, references) and the score method."""

    def backend_report(self) -> str | None:
        """How an endpoint pool shared the calls (one line), for backends that can say."""
        return self.backend.report() if isinstance(self.backend, ReportsEndpoints) else None


@dataclass
class EvalResult:
    summary: Summary
    run_dir: Path
    counters: Counters = field(default_factory=Counters)
    """What this session did (calls made, cache hits, calls resumed from earlier attempts)."""
    stop_reason: str | None = None
    """Why the run stopped before the end (budget, fatal provider error), if it did."""
    lowest_concurrency: int | None = None
    """With --adaptive: the lowest in-flight limit that rate limits pushed the run down to."""


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"judgekit": __version__, "python": platform.python_version()}
    for package in ("openai", "anthropic", "jinja2", "scipy", "numpy"):
        with contextlib.suppress(PackageNotFoundError):
            found[package] = version(package)
    return found


def prepare(config: EvalConfig, backend: Backend | None = None) -> Prepared:
    """Validate everything a run needs before anything is written or paid for."""
    spec = parse_spec(config.judge)
    if config.order_disagreement is not None and config.positions != "swap":
        raise UsageError(
            f"--order-disagreement {config.order_disagreement} needs --positions swap (only then are two orders judged)"
        )
    shared = load_checklist(config.checklist) if config.checklist else ()
    dataset = Dataset(
        config.dataset,
        ReadOptions(fields=config.fields, max_chars=config.max_chars, truncate=config.truncate, checklist=shared),
    )
    first = next(iter(dataset), None)
    if first is None:
        raise DatasetError(config.dataset, None, None, "no rows")
    grading = plan_grading(config, first.kind, checklists=first.rubric_items is not None)
    template = grading.primary
    if config.strong_weight is not None and not template.meta.verdict.graded:
        raise UsageError(
            f"--strong-weight applies to graded templates (A>>B ... B>>A, e.g. --prompt pairwise/graded); "
            f"{template.name} is not one"
        )
    # grading.check also renders one row per template, so a template mistake stops us here.
    for judge_template in grading.judge_templates():
        judge_template.check_variables()
    if config.max_cost is not None:
        require_prices(str(spec), config.price_in, config.price_out)
    else:
        resolve_prices(str(spec), config.price_in, config.price_out)  # checks the pair
    info = dataset.scan(kind=template.meta.kind, check=grading.check)
    if backend is None and config.endpoints:
        from judgekit.backends.pool import create_pool

        backend = create_pool(
            spec.provider,
            config.endpoints,
            BackendOptions(timeout=config.timeout),
            endpoint_concurrency=config.endpoint_concurrency,
            total_concurrency=config.concurrency,
        )
    if backend is None:
        backend = create_backend(
            spec.provider,
            BackendOptions(timeout=config.timeout, base_url=config.base_url, extra=_backend_extra(config, spec)),
        )
    if isinstance(backend, ChecksModels):  # backends that can vet a name offline
        backend.check_model(spec.model)
    grading.bind(str(spec), spec.model, capabilities_of(backend, spec.model), spec.provider)
    setup = grading.setup_for(template)
    params = setup.params
    resolved = {
        "dataset_sha256": info.sha256,
        "mapping": info.mapping,
        "kind": info.kind,
        "template_hash": template.hash,
        "judge": str(spec),
        "endpoint": backend.endpoint,
        "params": params.model_dump(),
        "method": setup.method,
        "grading": grading.describe(),
    }
    run_id = config.identity(resolved)
    if config.out:
        path = Path(config.out)
    else:
        stem = slug(Path(config.dataset).stem)
        path = Path(config.runs_root) / f"{stem}-{info.kind}-{slug(str(spec))}-{run_id[:8]}"
    manifest = RunManifest(
        run_id=run_id,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        config=config,
        resolved=resolved,
        dataset=DatasetRecord.model_validate(info.__dict__),
        template=_template_info(template),
        judge=str(spec),
        endpoint=backend.endpoint,
        versions=versions(),
    )
    return Prepared(config, dataset, info, template, spec, backend, setup, RunDir(path), run_id, manifest, grading)


def _backend_extra(config: EvalConfig, spec: ModelSpec) -> dict[str, Any]:
    """Settings for backends that load the model themselves (local/): which model, how many threads."""
    extra: dict[str, Any] = {"model": spec.model}
    if config.threads:
        extra["threads"] = config.threads
    return extra


def _template_info(template: Template) -> TemplateRecord:
    return TemplateRecord(
        name=template.name,
        hash=template.hash,
        builtin=template.builtin,
        kind=template.meta.kind,
        follows=template.meta.follows,
        verdict=template.meta.verdict.model_dump(),
    )


def open_run_dir(prepared: Prepared) -> list[Judgment]:
    """Start the run directory, or resume it; returns the rows already there."""
    run_dir, config = prepared.run_dir, prepared.config
    if run_dir.exists() and not config.fresh:
        # Names each deciding setting that differs (old -> new); a larger or smaller --limit is the same run.
        check_same_run(run_dir.path, run_dir.read_manifest(), prepared.manifest.as_dict())
        # e.g. grown from --limit 5, or re-aggregated under another --order-disagreement or --strong-weight
        run_dir.follow(prepared.run_id, config.limit, config.order_disagreement, config.strong_weight)
        return run_dir.load_judgments(repair=True)
    if run_dir.path.exists() and any(run_dir.path.iterdir()) and not run_dir.exists() and not config.fresh:
        raise RunDirError(f"{run_dir.path} exists and is not a judgekit run directory; choose another --out")
    run_dir.start(prepared.manifest.as_dict(), prepared.template.source, prepared.dataset)
    return []


async def execute(prepared: Prepared, progress: Progress | None = None) -> EvalResult:
    """Make the run's calls (resuming what an earlier attempt left) and aggregate them."""
    with prepared.run_dir.locked():
        return await _execute(prepared, progress or NullProgress())


def _open_cache(config: EvalConfig) -> Any:
    """The completion cache, or None (with a warning) when it cannot be opened: a broken cache
    costs money, not judgments, so the run goes on without it."""
    import sqlite3
    import sys

    from judgekit.store.cache import CompletionCache

    try:
        return CompletionCache(Path(config.cache_dir).expanduser() if config.cache_dir else None)
    except (OSError, sqlite3.Error) as exc:
        print(
            f"judgekit: warning: cannot use the completion cache ({type(exc).__name__}: {exc}); "
            "running without it (see `judgekit cache clear`, or pass --no-cache)",
            file=sys.stderr,
        )
        return None


async def _execute(prepared: Prepared, progress: Progress) -> EvalResult:
    config = prepared.config
    from judgekit.store.batch_state import refuse_if_in_flight

    refuse_if_in_flight(prepared.run_dir.path)  # its batches would answer these calls: never pay twice
    earlier = open_run_dir(prepared)
    cache = _open_cache(config) if config.cache else None
    if cache is not None:
        cache.remember(earlier)  # answers this directory holds stay free for every other run
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
            sent_before=sum(row.attempts for row in earlier),
            max_cost=config.max_cost,
            prices=resolve_prices(str(prepared.spec), config.price_in, config.price_out),
            adaptive=config.adaptive,
        ),
        on_row=progress.on_row,
    )
    grading = prepared.grading

    async def judge_item(item: Item) -> None:
        await grading.judge_item(item, executor)
        progress.advance()

    total = min(prepared.info.rows, config.limit) if config.limit else prepared.info.rows
    items = islice(prepared.run_dir.iter_items(), total)
    started = time.monotonic()
    progress.start(total, f"judging with {prepared.spec}")
    stop_reason = None
    try:
        await grading.start(executor, prepared.run_dir.path, earlier)  # G-Eval's steps, before any item
        await run_items(items, judge_item, workers=concurrency)
    except STOPS_THE_RUN as exc:
        # Stop cleanly: every finished call is on disk; the summary covers what was judged. A budget
        # only needs the command again; a provider that refuses every call needs fixing first.
        stop_reason = str(exc) if isinstance(exc, BudgetReached) else f"{exc} (fix that first: what was judged is kept)"
    finally:
        progress.stop()
        writer.close()
        if cache is not None:
            cache.close()
        await prepared.backend.aclose()
    elapsed = time.monotonic() - started
    backend = prepared.backend  # in-process models report load time and tokens/s
    summary = finish(
        prepared.run_dir,
        status="incomplete" if stop_reason else "complete",
        wall_s=elapsed,
        backend_timing=backend.runtime() if isinstance(backend, ReportsRuntime) else None,
        resumed=executor.counters.resumed,
        labels_are_random=config.labels_are_random,
    )
    lowest = executor.limit.lowest if config.adaptive else None
    return EvalResult(summary, prepared.run_dir.path, executor.counters, stop_reason, lowest)


def run_eval(
    source: EvalConfig | str | Path | Any,
    *,
    progress: Progress | None = None,
    backend: Backend | None = None,
    **options: Any,
) -> EvalResult:
    """Judge a dataset end to end (the library form of `judgekit eval`).

    `source` is an `EvalConfig`, or the data (a file path, a list of dicts, a pandas DataFrame)
    with the config's fields as keyword options: `run_eval(rows, judge="openai/gpt-4o-mini")`.
    Inside a running event loop (Jupyter, an async app) use `await arun_eval(...)`.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun_eval(source, progress=progress, backend=backend, **options))
    raise UsageError(
        "run_eval() cannot run inside a running event loop (a Jupyter notebook, an async app); "
        "use `await judgekit.arun_eval(...)` there, with the same arguments"
    )


async def arun_eval(
    source: EvalConfig | str | Path | Any,
    *,
    progress: Progress | None = None,
    backend: Backend | None = None,
    **options: Any,
) -> EvalResult:
    """`run_eval` for code that already runs an event loop: `result = await arun_eval(rows, judge=...)`."""
    from judgekit.inputs.rows import config_for

    prepared = prepare(config_for(source, options), backend=backend)
    return await execute(prepared, progress)


def report(run_dir: str | Path, *, reparse: bool = False, labels_are_random: bool = False) -> Summary:
    """Rebuild a run's summary.json from its stored judgments (the library form of `judgekit report`).

    With `reparse`, every stored judge answer is first read again with the run's stored
    template and the current parser, and judgments.jsonl is rewritten (see `reparse.py`).
    """
    if reparse:
        reparse_answers(run_dir)
    return finish(RunDir(Path(run_dir)), status="complete", labels_are_random=labels_are_random)


def reparse_answers(run_dir: str | Path) -> ReparseResult:
    """Read every stored judge answer again with the run's template and the current parser,
    and rewrite judgments.jsonl (no model calls; see `reparse.py`)."""
    from judgekit.judging.reparse import reparse_run

    directory = RunDir(Path(run_dir))
    directory.read_manifest()  # a clear error for a path that is not a run, before locking it
    with directory.locked():
        return reparse_run(directory)


def config_from_run(run_dir: str | Path) -> EvalConfig:
    """The configuration a run directory was made with (for `judgekit eval --resume`)."""
    path = Path(run_dir)
    return load_manifest(path).config.model_copy(update={"out": str(path), "fresh": False})
