"""Questions a run asks before it spends: a score-method fallback that multiplies the calls.

Logprobs (or auto) asked of a backend without token log-probabilities falls back to samples,
20 answers per judge call unless `--samples` says otherwise. Such a run goes ahead only when
the person agreed: `--yes`, or a "yes" typed at a terminal. Without a terminal nobody can
answer, so the run stops with one line (exit 2) that shows what it would have asked for.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from judgekit.api import Prepared
from judgekit.errors import UsageError
from judgekit.judging.pricing import resolve_prices
from judgekit.reporting.messages import say

REFUSAL = "pass --yes to go ahead, --samples N for fewer samples, or --score-method parse"


def agree_to_multiplied_calls(prepared: Sequence[Prepared], yes: bool) -> None:
    """Show what each multiplying fallback asks for and go on only if agreed, asking once for all
    of a panel's or a comparison's judges (a run that already started was agreed to)."""
    named = [(one.spec, estimate) for one in prepared if (estimate := _estimate(one)) is not None]
    if not named:
        return
    asked = "; ".join(f"{spec}: {estimate}" if len(prepared) > 1 else estimate for spec, estimate in named)
    if yes:
        say(asked)
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise UsageError(f"{asked}; {REFUSAL}")
    print(f"judgekit: {asked}. Go on? [y/N] ", end="", file=sys.stderr, flush=True)
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise UsageError(f"not started: {REFUSAL}")


def _estimate(prepared: Prepared) -> str | None:
    """What this run's fallback asks for; None when it multiplies nothing or already started."""
    config, run_dir = prepared.config, prepared.run_dir
    if run_dir.exists() and not config.fresh and run_dir.read_manifest().get("run_id") == prepared.run_id:
        return None  # agreed to when the run started
    first = next(iter(prepared.dataset), None)
    if first is None:
        return None
    items = min(prepared.info.rows, config.limit) if config.limit else prepared.info.rows
    prices = resolve_prices(str(prepared.spec), config.price_in, config.price_out)
    return prepared.grading.multiplied_estimate(first, items, prices)
