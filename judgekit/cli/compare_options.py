"""The options of `judgekit compare` that `judgekit eval` does not have.

The judging and grading options both commands share are declared in `options.py`.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from judgekit import choices
from judgekit.cli.choices import FormatChoice, LevelChoice
from judgekit.cli.common import Quiet

JUDGE_PANEL = "Judge"
DATA_PANEL = "Data"
RUN_PANEL = "Run"
OUTPUT_PANEL = "Output"

CompareDataset = Annotated[str, typer.Argument(help="Human-labelled data: pairwise labels or pointwise human scores.")]

CompareJudge = Annotated[
    Optional[list[str]],
    typer.Option(
        "--judge", "-j", help="Judge as provider/model; repeat to compare judges.", rich_help_panel=JUDGE_PANEL
    ),
]

ComparePrompt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--prompt",
        "-p",
        help="Template name or .jinja file; repeat to compare prompts.",
        rich_help_panel=JUDGE_PANEL,
    ),
]

ComparePanel = Annotated[
    bool,
    typer.Option(
        "--panel",
        help="Also combine all judges of each prompt into a panel (majority verdict or mean score).",
        rich_help_panel=JUDGE_PANEL,
    ),
]

ComparePositions = Annotated[
    choices.Positions,
    typer.Option(
        help="Pairwise answer order; swap (both orders) measures position consistency.", rich_help_panel=JUDGE_PANEL
    ),
]

CompareSeed = Annotated[int, typer.Option(help="Seed for answer order and bootstrap.", rich_help_panel=JUDGE_PANEL)]

CompareResamples = Annotated[
    int, typer.Option(min=100, help="Bootstrap resamples per interval.", rich_help_panel=DATA_PANEL)
]

CompareTemperature = Annotated[Optional[float], typer.Option(help="Sampling temperature.", rich_help_panel=JUDGE_PANEL)]

CompareMaxTokens = Annotated[Optional[int], typer.Option(help="Longest judge answer.", rich_help_panel=JUDGE_PANEL)]

CompareBaseUrl = Annotated[
    Optional[list[str]],
    typer.Option(
        help="Server URL for every judge (overrides OPENAI_BASE_URL / ANTHROPIC_BASE_URL). Repeat it to balance "
        "calls over several servers of the same judge; URL@N caps one at N requests in flight.",
        rich_help_panel=JUDGE_PANEL,
    ),
]

CompareField = Annotated[
    Optional[list[str]],
    typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.", rich_help_panel=DATA_PANEL),
]

CompareLimit = Annotated[
    Optional[int], typer.Option("--limit", "-n", min=1, help="Only the first N items.", rich_help_panel=DATA_PANEL)
]

CompareGroupBy = Annotated[
    Optional[str],
    typer.Option(help="Column defining groups (e.g. doc_id) or systems (e.g. system_id).", rich_help_panel=DATA_PANEL),
]

CompareLevel = Annotated[
    Optional[LevelChoice],
    typer.Option(help="Correlation level: item, group (per group, averaged) or system.", rich_help_panel=DATA_PANEL),
]

CompareRankBy = Annotated[
    Optional[str],
    typer.Option(
        help="agreement, agreement_without_ties, kappa, spearman, kendall or pearson; criterion_agreement or "
        "criterion_kappa on checklists (default: agreement for pairwise, spearman for pointwise, "
        "criterion_agreement for checklists with human_rubric).",
        rich_help_panel=DATA_PANEL,
    ),
]

ComparePrice = Annotated[
    Optional[list[str]],
    typer.Option(
        help="JUDGE=IN:OUT, USD per million input:output tokens, to show cost (repeatable).",
        rich_help_panel=DATA_PANEL,
    ),
]

CompareConcurrency = Annotated[
    int,
    typer.Option(
        "--concurrency",
        "-c",
        envvar="JUDGEKIT_CONCURRENCY",
        min=1,
        help="Requests in flight at once, per combination.",
        rich_help_panel=RUN_PANEL,
    ),
]

CompareMaxCalls = Annotated[
    Optional[int],
    typer.Option(min=0, help="Stop each combination after this many requests.", rich_help_panel=RUN_PANEL),
]

CompareMaxErrors = Annotated[
    int,
    typer.Option(min=0, help="Items allowed to fail per combination before exit code 3.", rich_help_panel=RUN_PANEL),
]

CompareCacheDir = Annotated[
    Optional[str],
    typer.Option(
        envvar="JUDGEKIT_CACHE_DIR", help="Cache directory (default: the user cache dir).", rich_help_panel=RUN_PANEL
    ),
]

CompareOut = Annotated[
    Optional[str],
    typer.Option(
        "--out", "-o", help="Output directory (default: runs/compare-<data>-<hash>).", rich_help_panel=OUTPUT_PANEL
    ),
]

CompareRunsDir = Annotated[
    str,
    typer.Option(envvar="JUDGEKIT_RUNS_DIR", help="Where default output directories go.", rich_help_panel=OUTPUT_PANEL),
]

CompareFresh = Annotated[bool, typer.Option("--fresh", help="Start every run afresh.", rich_help_panel=OUTPUT_PANEL)]

CompareOutputFormat = Annotated[
    FormatChoice,
    typer.Option("--format", help="table or json (the comparison JSON).", rich_help_panel=OUTPUT_PANEL),
]

CompareQuiet = Quiet
"""The same `-q` as every command."""

CompareHtml = Annotated[
    Optional[str],
    typer.Option(
        "--html", help="Also write the comparison as a self-contained HTML page.", rich_help_panel=OUTPUT_PANEL
    ),
]
