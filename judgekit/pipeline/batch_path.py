"""`judgekit eval --batch` and `judgekit batch collect`: the provider batch APIs' way through a run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from judgekit.api import Prepared, finish, prepare
from judgekit.ci.gates import check_options
from judgekit.ci.passrule import RunFacts
from judgekit.errors import Interrupted
from judgekit.pipeline.ending import PostRun, RunEnd, end_run
from judgekit.pipeline.request import EvalRequest, refuse
from judgekit.pipeline.single_end import run_end_of
from judgekit.reporting.messages import say

if TYPE_CHECKING:
    from judgekit.batch.driver import BatchOptions, BatchResult


def batch_run(prepared: Prepared, request: EvalRequest) -> int:
    """`judgekit eval --batch`: submit, wait (or detach), then the one ending once collected."""
    from judgekit.pipeline.post_run_file import save_post_run

    options = request.batch
    assert options is not None
    if options.estimate_only:
        refuse(request.post.given(), "with --estimate (nothing is judged)")
    outcome = _run_batches(prepared, options, request.quiet)
    if options.estimate_only:
        return 0
    if outcome.running:
        if request.post.given():
            save_post_run(prepared.run_dir.path, request.post)
            say(
                f"{', '.join(request.post.given())} will be applied when the batches are collected "
                f"(`judgekit batch collect {prepared.run_dir.path}`)"
            )
        if options.detach:
            return _detached(outcome, request.post.as_json)
    return end_run(_batch_end(outcome), request.post)


def _run_batches(prepared: Prepared, options: BatchOptions, quiet: bool) -> BatchResult:
    from judgekit.batch.driver import run_batch
    from judgekit.batch.progress import BatchView

    view = BatchView(quiet=quiet)
    try:
        return asyncio.run(run_batch(prepared, options, view))
    except KeyboardInterrupt:
        view.stop()
        path = prepared.run_dir.path
        if prepared.run_dir.exists():
            finish(prepared.run_dir, status="interrupted")
        raise Interrupted(
            f"interrupted: everything collected is kept in {path}, and submitted batches keep running at the "
            f"provider; run the same command again, or `judgekit batch collect {path}`, to pick them up"
        ) from None


def _batch_end(outcome: BatchResult) -> RunEnd:
    result = outcome.result
    summary, counters = result.summary, result.counters
    notes = [
        f"run directory: {result.run_dir} ({counters.calls} answers collected from batches, "
        f"{counters.cached} from cache, {summary.counts.scored + summary.counts.unscored} items judged in all)"
    ]
    end = run_end_of(result, notes)
    if outcome.running:
        # Results are partial: show them, but gate only once every batch is collected.
        end.run_dir = None
        end.failed_items = {}
        end.notes.append(
            f"{len(outcome.running)} batch(es) are still running; collect them later with "
            f"`judgekit batch collect {result.run_dir}` (gates and reports are applied then)"
        )
    return end


def _detached(outcome: BatchResult, as_json: bool) -> int:
    import json
    import sys

    path = outcome.result.run_dir
    if as_json:
        payload = {
            "run_dir": str(path),
            "batches": [record.model_dump(mode="json") for record in outcome.running],
            "estimate": outcome.estimate,
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        sys.stdout.write(f"{path}\n")
    requests = sum(record.requests for record in outcome.running)
    say(
        f"{len(outcome.running)} batch(es) with {requests} requests are with the provider; follow them with "
        f"`judgekit batch status {path}` and collect them with `judgekit batch collect {path}`"
    )
    return 0


def collect_run(run_dir: str, options: BatchOptions, post: PostRun, *, quiet: bool) -> int:
    """`judgekit batch collect`: pick up a run's batches, then the ending with the stored post-run options."""
    from judgekit.api import config_from_run
    from judgekit.pipeline.post_run_file import load_post_run

    if not post.given():
        post = load_post_run(Path(run_dir), as_json=post.as_json) or post
    post.check_targets()
    prepared = prepare(config_from_run(run_dir))
    check_options(post.gates, RunFacts.of(prepared.manifest))
    outcome = _run_batches(prepared, options, quiet)
    end = _batch_end(outcome)
    return end_run(end, post)
