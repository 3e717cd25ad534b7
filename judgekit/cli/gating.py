"""Quality-gate options and CI reports shared by `judgekit eval`, `judgekit gate` and `judgekit diff`.

The options are declared once here as annotated types, so both commands offer exactly the
same flags with the same help. Heavy modules (pydantic models, scipy) are imported inside the
functions, so importing this module at CLI start-up stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from judgekit.cli.common import warn

if TYPE_CHECKING:
    from judgekit.ci.gates import GateOptions, GateResult
    from judgekit.pipeline.ending import PostRun

GATES_PANEL = "Quality gates and CI reports"


class CiBoundChoice(str, Enum):
    NONE = "none"
    LOWER = "lower"
    UPPER = "upper"


def _rate_option(name: str, text: str) -> Any:
    return typer.Option(name, metavar="RATE", help=text, rich_help_panel=GATES_PANEL, show_default=False)


MinWinRate = Annotated[
    Optional[float],
    _rate_option(
        "--min-win-rate", "Exit 1 unless the win rate of A (ties count ½) is at least RATE, e.g. 0.5 (pairwise)."
    ),
]
MinScore = Annotated[
    Optional[float],
    typer.Option(
        "--min-score",
        metavar="SCORE",
        help="Exit 1 unless the mean score is at least SCORE, on the template's scale (pointwise).",
        rich_help_panel=GATES_PANEL,
        show_default=False,
    ),
]
MinPassRate = Annotated[
    Optional[float],
    _rate_option(
        "--min-pass-rate",
        "Exit 1 unless at least RATE of the scored items pass: a pass verdict on pass/fail templates, "
        "else a score of at least --pass-score (pointwise).",
    ),
]
PassScore = Annotated[
    Optional[float],
    typer.Option(
        "--pass-score",
        metavar="SCORE",
        help="The score an item needs to pass, for --min-pass-rate and the JUnit report (pointwise).",
        rich_help_panel=GATES_PANEL,
        show_default=False,
    ),
]
MaxUnscored = Annotated[
    Optional[float],
    _rate_option("--max-unscored", "Exit 1 if more than RATE of the judged items have no valid verdict."),
]
MaxFlipRate = Annotated[
    Optional[float],
    _rate_option(
        "--max-flip-rate", "Exit 1 if more than RATE of the items change verdict with the order (--positions swap)."
    ),
]
MinAgreement = Annotated[
    Optional[float],
    _rate_option(
        "--min-agreement",
        "Exit 1 unless agreement with the human labels (pairwise) or Spearman's rho with the human scores "
        "(pointwise) is at least RATE; the data must have human labels.",
    ),
]
MaxPositionBias = Annotated[
    Optional[float],
    typer.Option(
        "--max-position-bias",
        metavar="DIST",
        help="Exit 1 if P(first shown preferred) lies more than DIST from 50%, e.g. 0.1 (pairwise, --positions "
        "swap or random).",
        rich_help_panel=GATES_PANEL,
        show_default=False,
    ),
]
MaxLengthBias = Annotated[
    Optional[float],
    typer.Option(
        "--max-length-bias",
        metavar="DIST",
        help="Exit 1 if the judge's length bias given the human labels (from -1 to 1; 0: none) lies more than "
        "DIST from 0 (pairwise with human labels, --positions swap or random).",
        rich_help_panel=GATES_PANEL,
        show_default=False,
    ),
]
MinCriterionPass = Annotated[
    Optional[list[str]],
    typer.Option(
        "--min-criterion-pass",
        metavar="NAME=RATE",
        help="Exit 1 unless checklist criterion NAME is met on at least RATE of the items that graded it; "
        "RATE alone gates every criterion. Repeatable (checklist runs).",
        rich_help_panel=GATES_PANEL,
        show_default=False,
    ),
]
OnCiBound = Annotated[
    CiBoundChoice,
    typer.Option(
        "--on-ci-bound",
        help="Which number meets the threshold. none: the point estimate. lower (strict): a minimum must hold "
        "for the lower end of the 95% CI and a maximum for its upper end. upper (lenient): the mirror image, "
        "so a gate fails only when the whole CI misses the threshold.",
        rich_help_panel=GATES_PANEL,
    ),
]
MinItems = Annotated[
    Optional[int],
    typer.Option(
        "--min-items",
        metavar="N",
        min=1,
        help="Fail any gate whose metric rests on fewer than N items (groups or systems for a correlation "
        "at those levels): too little evidence to pass or fail a build on. Default 10.",
        rich_help_panel=GATES_PANEL,
        show_default=False,
    ),
]
Junit = Annotated[
    Optional[str],
    typer.Option(
        "--junit",
        metavar="FILE",
        help="Write a JUnit XML report: one test case per item, failing verdicts as failures.",
        rich_help_panel=GATES_PANEL,
        show_default=False,
    ),
]
Markdown = Annotated[
    Optional[str],
    typer.Option(
        "--markdown",
        metavar="FILE",
        help="Write a Markdown summary (it is also appended to $GITHUB_STEP_SUMMARY when that is set).",
        rich_help_panel=GATES_PANEL,
        show_default=False,
    ),
]


def gate_options(
    *,
    min_win_rate: float | None = None,
    min_score: float | None = None,
    min_pass_rate: float | None = None,
    pass_score: float | None = None,
    max_unscored: float | None = None,
    max_flip_rate: float | None = None,
    min_agreement: float | None = None,
    on_ci_bound: CiBoundChoice = CiBoundChoice.NONE,
    max_position_bias: float | None = None,
    max_length_bias: float | None = None,
    min_items: int | None = None,
    min_criterion_pass: list[str] | None = None,
) -> GateOptions:
    from judgekit.ci.criterion_gates import parse_criterion_gates
    from judgekit.ci.gates import DEFAULT_MIN_ITEMS, GateOptions

    return GateOptions(
        min_win_rate=min_win_rate,
        min_score=min_score,
        min_pass_rate=min_pass_rate,
        pass_score=pass_score,
        max_unscored=max_unscored,
        max_flip_rate=max_flip_rate,
        min_agreement=min_agreement,
        max_position_bias=max_position_bias,
        max_length_bias=max_length_bias,
        on_ci_bound=on_ci_bound.value,
        min_items=DEFAULT_MIN_ITEMS if min_items is None else min_items,
        min_criterion_pass=parse_criterion_gates(min_criterion_pass) if min_criterion_pass else None,
    )


def post_run(
    gates: GateOptions,
    *,
    junit: str | None = None,
    markdown: str | None = None,
    html: str | None = None,
    as_json: bool = False,
    max_errors: int = 0,
) -> PostRun:
    """The post-run options of any command, for `judgekit.pipeline.ending`."""
    from judgekit.pipeline.ending import PostRun

    return PostRun(gates=gates, junit=junit, markdown=markdown, html=html, as_json=as_json, max_errors=max_errors)


GATE_OPTIONS = (
    "min_win_rate",
    "min_score",
    "min_pass_rate",
    "pass_score",
    "max_unscored",
    "max_flip_rate",
    "min_agreement",
    "max_position_bias",
    "max_length_bias",
    "on_ci_bound",
    "min_items",
    "min_criterion_pass",
)
"""The gate parameters every gating command declares (with the annotated types above)."""


def post_run_of(given: Mapping[str, Any], **outputs: Any) -> PostRun:
    """The post-run options from a command's parsed parameters (gates, --junit, --markdown,
    --max-errors); `outputs` adds what only some commands have (html, as_json)."""
    gates = gate_options(**{name: given[name] for name in GATE_OPTIONS if name in given})
    return post_run(
        gates, junit=given.get("junit"), markdown=given.get("markdown"), max_errors=given.get("max_errors") or 0,
        **outputs,
    )  # fmt: skip


def wants_reports(junit: str | None, markdown: str | None) -> bool:
    return bool(junit or markdown or os.environ.get("GITHUB_STEP_SUMMARY"))


def print_gate_lines(results: list[GateResult]) -> None:
    for result in results:
        warn(f"gate {'passed' if result.passed else 'FAILED'}: {result.line()}")
