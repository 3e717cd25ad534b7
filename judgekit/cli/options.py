"""The options of `judgekit eval`, declared once as annotated types.

`judgekit compare` takes the same judging and grading options from here, so the two commands
offer the same flags with the same help and build the same grading plan.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from judgekit import choices
from judgekit.cli.choices import (
    LevelChoice,
    ModeChoice,
)

JUDGE_PANEL = "Judge"
DATA_PANEL = "Data"
RUN_PANEL = "Run"
OUTPUT_PANEL = "Output"
GRADING_PANEL = "Grading (prompt library)"
BATCH_PANEL = "Batch"

Dataset = Annotated[
    Optional[str], typer.Argument(help="Data file: JSONL, CSV or a JSON array of rows.", show_default=False)
]

Judge = Annotated[
    Optional[list[str]],
    typer.Option(
        "--judge",
        "-j",
        envvar="JUDGEKIT_JUDGE",
        help="Judge model as provider/model, e.g. openai/gpt-4o-mini; repeat it for a panel of judges. "
        "Default: the embedded local judge, local/qwen2.5-coder-1.5b.",
        rich_help_panel=JUDGE_PANEL,
    ),
]

Mode = Annotated[
    Optional[ModeChoice],
    typer.Option(
        "--mode",
        "-m",
        help="pairwise or pointwise (default: from the template or the data); reference (grade against a "
        "reference answer) or geval (G-Eval: evaluation steps, then a 1-5 score; needs --criterion).",
        rich_help_panel=JUDGE_PANEL,
    ),
]

Prompt = Annotated[
    Optional[str],
    typer.Option(
        "--prompt",
        "-p",
        help="Built-in template name or a .jinja file (see `judgekit prompts list`).",
        rich_help_panel=JUDGE_PANEL,
    ),
]

Positions = Annotated[
    Optional[choices.Positions],
    typer.Option(
        help="Pairwise answer order: random (seeded per item), swap (both orders), fixed, or adaptive "
        "(a seeded order; the other one too when the verdict is unsure, see --swap-below). "
        "Default: random; swap for the embedded local judge.",
        rich_help_panel=JUDGE_PANEL,
        show_default=False,
    ),
]

SwapBelow = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="With --positions adaptive, judge an item's other order when the first verdict's confidence "
        "(its probability under --score-method logprobs or samples) is below this, or it is a tie or unscored. "
        "Every run counts its verdicts below it as unsure.",
        rich_help_panel=JUDGE_PANEL,
    ),
]

SwapAudit = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="With --positions adaptive, also judge this seeded share of the sure items in both orders, to "
        "estimate (with an exact interval) how many of full swap's verdicts the run kept. 0.1 costs about a "
        "tenth of the sure items' calls again.",
        rich_help_panel=JUDGE_PANEL,
    ),
]

Seed = Annotated[int, typer.Option(help="Seed for answer order, sampling and bootstrap.", rich_help_panel=JUDGE_PANEL)]

OrderDisagreement = Annotated[
    Optional[choices.OrderRule],
    typer.Option(
        help="With --positions swap (or adaptive), the verdict of an item whose two orders disagree: tie (MT-Bench), "
        "decisive (a verdict beats a tie; JudgeBench), drop (left out), or mean (of the two orders' "
        "probabilities). Default: mean where both orders carry probabilities, else tie.",
        rich_help_panel=JUDGE_PANEL,
        show_default=False,
    ),
]

StrongWeight = Annotated[
    Optional[float],
    typer.Option(
        help="Graded templates (A>>B ... B>>A): the votes a strong preference counts for in win rates and "
        "Bradley-Terry strengths. Default: the template's strong_weight, else 3 (Arena-Hard).",
        rich_help_panel=JUDGE_PANEL,
        show_default=False,
    ),
]

PanelRule = Annotated[
    Optional[choices.PanelRule],
    typer.Option(
        help="A panel of judges: how their votes are combined (default: majority for verdicts, mean for scores).",
        rich_help_panel=JUDGE_PANEL,
        show_default=False,
    ),
]

Quorum = Annotated[
    Optional[int],
    typer.Option(
        help="A panel of judges: valid votes an item needs for a panel verdict (default: a majority of the judges).",
        rich_help_panel=JUDGE_PANEL,
        show_default=False,
    ),
]

Temperature = Annotated[
    Optional[float],
    typer.Option(help="Sampling temperature (default: the template's, usually 0).", rich_help_panel=JUDGE_PANEL),
]

MaxTokens = Annotated[
    Optional[int],
    typer.Option(help="Longest judge answer in tokens (default: the template's).", rich_help_panel=JUDGE_PANEL),
]

ReasoningEffort = Annotated[
    Optional[choices.ReasoningEffort],
    typer.Option(
        help="OpenAI reasoning judges (o-series, gpt-5): how much they reason before the verdict. Sent as "
        "reasoning_effort, with no temperature; reasoning counts toward --max-tokens.",
        rich_help_panel=JUDGE_PANEL,
        show_default=False,
    ),
]

ThinkingBudget = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        help="Anthropic, Vertex, Bedrock Claude and Gemini judges: think for this many tokens before the verdict "
        "(below --max-tokens; Claude takes at least 1024). The verdict is read from the answer after the thinking.",
        rich_help_panel=JUDGE_PANEL,
        show_default=False,
    ),
]

BaseUrl = Annotated[
    Optional[list[str]],
    typer.Option(
        help="Server URL for this run (overrides OPENAI_BASE_URL / ANTHROPIC_BASE_URL). Repeat it to balance "
        "calls over several servers of the same judge; URL@N caps one at N requests in flight.",
        rich_help_panel=JUDGE_PANEL,
    ),
]

Field = Annotated[
    Optional[list[str]],
    typer.Option(
        "--field",
        "-f",
        help="Map a column onto a field: NAME=COLUMN (repeatable; dotted paths reach nested keys).",
        rich_help_panel=DATA_PANEL,
    ),
]

Limit = Annotated[
    Optional[int],
    typer.Option("--limit", "-n", min=1, help="Judge only the first N items.", rich_help_panel=DATA_PANEL),
]

MaxChars = Annotated[
    int,
    typer.Option(
        help="Longest text accepted in any field; longer texts are an error unless --truncate.",
        rich_help_panel=DATA_PANEL,
    ),
]

Truncate = Annotated[
    bool,
    typer.Option(
        "--truncate",
        help="Cut texts longer than --max-chars instead of rejecting the file.",
        rich_help_panel=DATA_PANEL,
    ),
]

GroupBy = Annotated[
    Optional[str],
    typer.Option(
        help="Column defining groups (e.g. doc_id) or systems (e.g. system_id) for the human correlation.",
        rich_help_panel=DATA_PANEL,
    ),
]

Level = Annotated[
    Optional[LevelChoice],
    typer.Option(
        help="Human correlation level: item, group (per group, then averaged) or system.",
        rich_help_panel=DATA_PANEL,
    ),
]

LabelsAreRandom = Annotated[
    bool,
    typer.Option(
        "--labels-are-random",
        help="The items carrying human labels are a random sample: skip the check that refuses an "
        "obviously selected set (the human-anchored estimates rest on it).",
        rich_help_panel=DATA_PANEL,
    ),
]

Baseline = Annotated[
    Optional[str],
    typer.Option(
        metavar="FILE",
        help="Judge DATASET's answers (A) against this file's (B), pairwise; both files hold question + "
        "answer rows, joined on id, else on the question.",
        rich_help_panel=DATA_PANEL,
        show_default=False,
    ),
]

Domain = Annotated[
    choices.DomainName,
    typer.Option(
        help="Built-in prompt for general, coding or math questions; auto picks by each item's category.",
        rich_help_panel=GRADING_PANEL,
    ),
]

Criterion = Annotated[
    Optional[str],
    typer.Option(
        help="G-Eval criterion: a built-in name (see `judgekit prompts criteria`), a file, or a sentence.",
        rich_help_panel=GRADING_PANEL,
    ),
]

Steps = Annotated[
    Optional[str],
    typer.Option(
        help="G-Eval: a file of evaluation steps to use instead of having the judge write them.",
        rich_help_panel=GRADING_PANEL,
    ),
]

GenerateReference = Annotated[
    bool,
    typer.Option(
        "--generate-reference",
        help="The judge writes a reference answer for each item that has none (once; cached and kept).",
        rich_help_panel=GRADING_PANEL,
    ),
]

Rubric = Annotated[
    Optional[str],
    typer.Option(
        help="Rubric file (text, or YAML/JSON score: description) for items without a rubric field.",
        rich_help_panel=GRADING_PANEL,
    ),
]

Checklist = Annotated[
    Optional[str],
    typer.Option(
        help="Checklist file (YAML/JSON list of {criterion, points}) graded per criterion for items without "
        "their own rubric_items.",
        rich_help_panel=GRADING_PANEL,
    ),
]

ScoreMethod = Annotated[
    Optional[choices.ScoreMethod],
    typer.Option(
        help="How a verdict becomes a number: parse, logprobs (probability-weighted), samples (mean of "
        "--samples), or auto (logprobs where the backend has them, else samples). Default: parse; "
        "auto under --mode geval.",
        rich_help_panel=GRADING_PANEL,
    ),
]

Samples = Annotated[
    Optional[int],
    typer.Option(
        min=1,
        help="Samples per judge call for the samples method (default 20, at --temperature or 1).",
        rich_help_panel=GRADING_PANEL,
    ),
]

StepsPrompt = Annotated[
    Optional[str],
    typer.Option(help="Template (role: steps) that asks for G-Eval's steps.", rich_help_panel=GRADING_PANEL),
]

ReferencePrompt = Annotated[
    Optional[str],
    typer.Option(help="Template (role: reference) that asks for a reference answer.", rich_help_panel=GRADING_PANEL),
]
