"""Questions a run asks before it spends: a score-method fallback that multiplies the calls.

Logprobs (or auto) asked of a backend without token log-probabilities falls back to samples,
20 answers per judge call unless `--samples` says otherwise. Such a run goes ahead only when
the person agreed: `--yes`, or a "yes" typed at a terminal. Without a terminal nobody can
answer, so the run stops with one line (exit 2) that shows what it would have asked for.
"""

from __future__ import annotations

import sys

from judgekit.api import Prepared
from judgekit.errors import UsageError
from judgekit.judging.pricing import resolve_prices
from judgekit.reporting.messages import say

REFUSAL = "pass --yes to go ahead, --samples N for fewer samples, or --score-method parse"


def agree_to_multiplied_calls(prepared: Prepared, yes: bool) -> None:
    """Show what a multiplying fallback asks for and go on only if agreed (a started run was agreed to)."""
    config, run_dir = prepared.config, prepared.run_dir
    if run_dir.exists() and not config.fresh and run_dir.read_manifest().get("run_id") == prepared.run_id:
        return  # agreed to when the run started
    first = next(iter(prepared.dataset))
    items = min(prepared.info.rows, config.limit) if config.limit else prepared.info.rows
    prices = resolve_prices(str(prepared.spec), config.price_in, config.price_out)
    estimate = prepared.grading.multiplied_estimate(first, items, prices)
    if estimate is None:
        return
    if yes:
        say(estimate)
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UsageError(f"{estimate}; {REFUSAL}")
    print(f"judgekit: {estimate}. Go on? [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise UsageError(f"not started: {REFUSAL}")
