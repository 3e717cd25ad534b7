"""How `judgekit eval` runs and where its results go: concurrency, retries, budgets, cache,
output and the batch APIs, declared once as annotated types."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from judgekit.cli import common
from judgekit.cli.choices import FormatChoice, RetryChoice

RUN_PANEL = "Run"
OUTPUT_PANEL = "Output"
BATCH_PANEL = "Batch"


Concurrency = Annotated[
    int,
    typer.Option(
        "--concurrency",
        "-c",
        envvar="JUDGEKIT_CONCURRENCY",
        min=1,
        help="Requests in flight at once.",
        rich_help_panel=RUN_PANEL,
    ),
]

Timeout = Annotated[
    float, typer.Option(envvar="JUDGEKIT_TIMEOUT", help="Seconds allowed per request.", rich_help_panel=RUN_PANEL)
]

MaxRetries = Annotated[
    int,
    typer.Option(
        min=0,
        help="Retries per call on rate limits, server errors, timeouts and malformed answers.",
        rich_help_panel=RUN_PANEL,
    ),
]

RetryBaseDelay = Annotated[
    float,
    typer.Option(
        envvar="JUDGEKIT_RETRY_BASE_DELAY",
        min=0,
        help="Seconds before the first retry; doubles each time (Retry-After wins).",
        rich_help_panel=RUN_PANEL,
    ),
]

MaxCalls = Annotated[
    Optional[int],
    typer.Option(
        min=0,
        help="Stop cleanly once this many requests were sent for the run directory in all (resume later).",
        rich_help_panel=RUN_PANEL,
    ),
]

MaxErrors = Annotated[
    int,
    typer.Option(
        min=0, help="Items allowed to fail after retries before exiting with code 3.", rich_help_panel=RUN_PANEL
    ),
]

NoCache = Annotated[
    bool, typer.Option("--no-cache", help="Neither read nor write the completion cache.", rich_help_panel=RUN_PANEL)
]

CacheDir = Annotated[
    Optional[str],
    typer.Option(
        envvar="JUDGEKIT_CACHE_DIR",
        help="Cache directory (default: the user cache dir).",
        rich_help_panel=RUN_PANEL,
    ),
]

Adaptive = Annotated[
    bool,
    typer.Option(
        "--adaptive",
        help="Halve the requests in flight on each burst of rate limits (429) and let them grow back "
        "up to --concurrency.",
        rich_help_panel=RUN_PANEL,
    ),
]

MaxCost = Annotated[
    Optional[float],
    typer.Option(
        min=0,
        help="Stop cleanly before the run directory's spending could pass this many US dollars, counting "
        "earlier invocations (resume later, with a larger budget).",
        rich_help_panel=RUN_PANEL,
    ),
]

PriceIn = Annotated[
    Optional[float],
    typer.Option(
        min=0,
        help="US dollars per million input tokens (default: the built-in table for known models).",
        rich_help_panel=RUN_PANEL,
    ),
]

PriceOut = Annotated[
    Optional[float],
    typer.Option(
        min=0,
        help="US dollars per million output tokens (default: the built-in table for known models).",
        rich_help_panel=RUN_PANEL,
    ),
]

Out = Annotated[
    Optional[str],
    typer.Option(
        "--out",
        "-o",
        help="Run directory (default: runs/<data>-<kind>-<judge>-<run id>).",
        rich_help_panel=OUTPUT_PANEL,
    ),
]

RunsDir = Annotated[
    str,
    typer.Option(envvar="JUDGEKIT_RUNS_DIR", help="Where default run directories go.", rich_help_panel=OUTPUT_PANEL),
]

Fresh = Annotated[
    bool,
    typer.Option(
        "--fresh", help="Start the run directory afresh instead of resuming it.", rich_help_panel=OUTPUT_PANEL
    ),
]

Resume = Annotated[
    Optional[str],
    typer.Option(help="Finish the run in this directory with its stored options.", rich_help_panel=OUTPUT_PANEL),
]

OutputFormat = Annotated[
    FormatChoice,
    typer.Option(
        "--format", help="table (rich) or json (only the summary JSON on stdout).", rich_help_panel=OUTPUT_PANEL
    ),
]

Quiet = common.Quiet
"""The same `-q` as every command (no progress display, no passing notes)."""

EndpointConcurrency = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        help="With several --base-url: requests in flight at most per server (URL@N overrides it).",
        rich_help_panel=RUN_PANEL,
    ),
]

Batch = Annotated[
    bool,
    typer.Option(
        "--batch",
        help="Judge through the provider's batch API (openai, anthropic): half the price, answers within 24 h.",
        rich_help_panel=BATCH_PANEL,
    ),
]

Detach = Annotated[
    bool,
    typer.Option(
        "--detach",
        help="With --batch: return once submitted; then `judgekit batch status|collect RUN_DIR`.",
        rich_help_panel=BATCH_PANEL,
    ),
]

Estimate = Annotated[
    bool,
    typer.Option(
        "--estimate",
        help="With --batch: show the requests to submit and their estimated cost, and submit nothing.",
        rich_help_panel=BATCH_PANEL,
    ),
]

Resubmit = Annotated[
    bool,
    typer.Option(
        "--resubmit",
        help="With --batch: submit the requests of an interrupted submission again without looking for the "
        "batch at the provider (when judgekit cannot tell which batch it was).",
        rich_help_panel=BATCH_PANEL,
    ),
]

Yes = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Go ahead without asking when a score method's fallback multiplies the judge calls.",
        rich_help_panel=RUN_PANEL,
    ),
]

PollInterval = Annotated[
    float,
    typer.Option(
        envvar="JUDGEKIT_BATCH_POLL_INTERVAL",
        min=0,
        help="With --batch: seconds between looks at the running batches.",
        rich_help_panel=BATCH_PANEL,
    ),
]

BatchRetry = Annotated[
    RetryChoice,
    typer.Option(
        help="With --batch: requests that failed inside a batch go into a new batch, are retried "
        "interactively, or are left failed.",
        rich_help_panel=BATCH_PANEL,
    ),
]

BatchRetries = Annotated[
    int,
    typer.Option(min=0, help="With --batch: retries per failed request.", rich_help_panel=BATCH_PANEL),
]

BatchMaxRequests = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        help="With --batch: requests per batch (default: the provider's limit, 50,000 / 100,000).",
        rich_help_panel=BATCH_PANEL,
    ),
]

BatchMaxBytes = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        help="With --batch: bytes of input per batch (default: the provider's limit, 200 MB / 256 MB).",
        rich_help_panel=BATCH_PANEL,
    ),
]

Html = Annotated[
    Optional[str],
    typer.Option(
        "--html",
        help="Also write a self-contained HTML report (plots, item table, manifest) to this file.",
        rich_help_panel=OUTPUT_PANEL,
    ),
]

Threads = Annotated[
    Optional[int],
    typer.Option(
        envvar="JUDGEKIT_THREADS",
        min=1,
        help="CPU threads for a local/ model (default: the physical cores).",
        rich_help_panel=RUN_PANEL,
    ),
]
