"""`judgekit prompts`: list, show, render and validate judge templates (no model is called)."""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import OutputFormat, Quiet, fail, handles_errors, help_markup, print_json, stdout_console

if TYPE_CHECKING:
    from judgekit.inputs.criteria import Criterion
    from judgekit.inputs.prompts import AuxTemplate, Template
    from judgekit.schema import Item

app = typer.Typer(
    rich_markup_mode=help_markup(), help="List, show, render and validate judge prompt templates.", no_args_is_help=True
)

JINJA_GLOBALS = {"loop", "range", "namespace", "dict", "lipsum", "cycler", "joiner"}
"""Names Jinja itself provides; a template may use them without judgekit supplying them."""

CriterionOption = Annotated[
    Optional[str],
    typer.Option("--criterion", help="G-Eval criterion (name, file or sentence) for templates that use it."),
]
StepsOption = Annotated[
    Optional[str], typer.Option("--steps", help="A file of evaluation steps to show as {{ steps }}.")
]
RubricOption = Annotated[
    Optional[str], typer.Option("--rubric", help="A rubric file for items without their own rubric.")
]
GenerateOption = Annotated[
    bool,
    typer.Option(
        "--generate-reference", help="Items without a reference get a placeholder, as --generate-reference would."
    ),
]


def first_sentence(text: str) -> str:
    """The first sentence of a description (the whole text if it has one sentence)."""
    flat = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", flat)
    return match.group(1) if match else flat


def verdict_label(template: Template | AuxTemplate) -> str:
    """A short account of what the template's judge answers with."""
    from judgekit.inputs.prompts import AuxTemplate

    if isinstance(template, AuxTemplate):
        return "text"
    verdict = template.meta.verdict
    if verdict.type == "choice" and verdict.choices:
        if template.meta.kind == "pairwise":
            return "/".join("tie" if outcome == "tie" else choice for choice, outcome in verdict.choices.items())
        return "/".join(f"{choice}={_plain(outcome)}" for choice, outcome in verdict.choices.items())
    low, high = verdict.scale or (0, 0)
    if verdict.type == "score_pair":
        return f"2 x {low:g}-{high:g}"
    return f"{low:g}-{high:g}"


def _plain(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@app.command("list")
@handles_errors
def list_command(
    long: Annotated[bool, typer.Option("--long", "-l", help="Full descriptions and the study each follows.")] = False,
    output_format: OutputFormat = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """List the built-in templates (`judgekit prompts show NAME` prints one in full)."""
    from rich import box
    from rich.table import Table

    from judgekit.inputs.criteria import BUILTIN_CRITERIA
    from judgekit.inputs.prompts import AuxTemplate
    from judgekit.inputs.template_files import iter_builtin

    if output_format is FormatChoice.json:
        print_json(
            [
                {
                    "name": template.name,
                    "role": template.meta.role if isinstance(template, AuxTemplate) else "judge",
                    "kind": None if isinstance(template, AuxTemplate) else template.meta.kind,
                    "verdict": verdict_label(template),
                    "description": " ".join(template.meta.description.split()),
                    "follows": template.meta.follows,
                    "hash": template.hash,
                }
                for template in iter_builtin()
            ]
        )
        return

    # The folder of a built-in names its kind (pairwise/, pointwise/) or role (steps/, reference/).
    table = Table(show_header=True, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("description")
    for template in iter_builtin():
        description = " ".join(template.meta.description.split())
        if long:
            if template.meta.follows:
                description += f"\n[dim]Follows: {' '.join(template.meta.follows.split())}[/dim]"
        else:
            description = first_sentence(description)
        table.add_row(template.name, verdict_label(template), description)
    console = stdout_console()
    console.print(table)
    console.print(
        f"G-Eval criteria (--criterion): {', '.join(BUILTIN_CRITERIA)}; see `judgekit prompts criteria`.",
        soft_wrap=True,
    )


@app.command("criteria")
@handles_errors
def criteria_command(output_format: OutputFormat = FormatChoice.table, quiet: Quiet = False) -> None:
    """List the built-in G-Eval criteria and what each one judges."""
    from rich import box
    from rich.table import Table

    from judgekit.inputs.criteria import BUILTIN_CRITERIA

    if output_format is FormatChoice.json:
        print_json(
            [
                {"name": item.name, "title": item.title, "task": item.task, "definition": item.definition}
                for item in BUILTIN_CRITERIA.values()
            ]
        )
        return

    table = Table(show_header=True, header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("grades", no_wrap=True)
    table.add_column("definition")
    for criterion in BUILTIN_CRITERIA.values():
        grades = {"summary": "a summary", "answer": "an answer", "grounded": "an answer + context"}[criterion.task]
        table.add_row(criterion.name, grades, criterion.definition)
    stdout_console().print(table)


@app.command("show")
@handles_errors
def show_command(
    name: Annotated[str, typer.Argument(help="Template name or .jinja path.")],
    output_format: OutputFormat = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Print a template's source (front matter and body) and its hash."""
    from judgekit.cli.common import is_quiet
    from judgekit.inputs.template_files import load_any

    template = load_any(name)
    if output_format is FormatChoice.json:
        print_json(
            {"name": template.name, "path": str(template.path), "hash": template.hash, "source": template.source}
        )
        return
    if not is_quiet():
        print(f"# {template.name} ({template.path}) sha256:{template.hash}", file=sys.stderr)
    sys.stdout.write(template.source if template.source.endswith("\n") else template.source + "\n")


def criterion_of(value: str | None) -> Criterion | None:
    from judgekit.inputs.criteria import resolve

    return resolve(value) if value else None


def pipeline_variables(
    template: Template | AuxTemplate,
    item: Item | None,
    *,
    criterion: Criterion | None,
    steps: str | None,
    rubric: str | None,
    generate_reference: bool,
) -> dict[str, Any]:
    """The variables `judgekit eval` adds to an item's own for this template."""
    from judgekit.inputs.criteria import BUILTIN_CRITERIA
    from judgekit.inputs.template_inputs import neutralise
    from judgekit.judging.grading import PLACEHOLDER_REFERENCE, PLACEHOLDER_STEPS

    used = template.variables()
    extra: dict[str, Any] = {}
    if "criterion" in used:
        extra["criterion"] = criterion or BUILTIN_CRITERIA["helpfulness"]
    if "steps" in used:
        extra["steps"] = neutralise(steps or PLACEHOLDER_STEPS, template)
    if item is not None:
        if rubric is not None and item.rubric is None and "rubric" in used:
            extra["rubric"] = neutralise(rubric, template)
        if generate_reference and item.reference is None and "reference" in used:
            extra["reference"] = PLACEHOLDER_REFERENCE
        if item.rubric_items and used & {"rubric_item", "rubric_items"}:
            from dataclasses import replace

            from judgekit.inputs.checklists import shown

            criteria = [replace(one, text=neutralise(one.text, template)) for one in shown(item.rubric_items)]
            extra["rubric_items"], extra["rubric_item"] = criteria, criteria[0]  # render shows the first criterion
    return extra


def read_inputs(
    steps: str | None, rubric: str | None, template: Template | AuxTemplate
) -> tuple[str | None, str | None]:
    from judgekit.inputs.criteria import read_steps_file
    from judgekit.inputs.prompts import Template
    from judgekit.inputs.rubrics import load_rubric

    scale = template.meta.verdict.scale if isinstance(template, Template) else None
    return (read_steps_file(steps) if steps else None, load_rubric(rubric, scale) if rubric else None)


@app.command("render")
@handles_errors
def render_command(
    name: Annotated[str, typer.Argument(help="Template name or .jinja path.")],
    dataset: Annotated[Optional[str], typer.Option("--dataset", "-d", help="Data file to take the item from.")] = None,
    item: Annotated[int, typer.Option("--item", "-i", min=1, help="Which item (1-based position in the file).")] = 1,
    field: Annotated[
        Optional[list[str]], typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.")
    ] = None,
    swapped: Annotated[
        bool, typer.Option("--swapped", help="Pairwise: show answer_b first, as a swapped call would.")
    ] = False,
    criterion: CriterionOption = None,
    steps: StepsOption = None,
    rubric: RubricOption = None,
    generate_reference: GenerateOption = False,
    output_format: Annotated[
        FormatChoice, typer.Option("--format", help="table (the messages as text) or json (a list of messages).")
    ] = FormatChoice.table,
    as_json: Annotated[
        bool, typer.Option("--json", hidden=True, help="Deprecated: the same as --format json.")
    ] = False,
    quiet: Quiet = False,
) -> None:
    """Print the messages a template produces for one item, without calling any model."""
    from judgekit.inputs.datasets import Dataset, ReadOptions, parse_field_options
    from judgekit.inputs.prompts import AuxTemplate
    from judgekit.inputs.template_files import load_any
    from judgekit.inputs.template_inputs import item_variables

    template = load_any(name)
    steps_text, rubric_text = read_inputs(steps, rubric, template)
    chosen_criterion = criterion_of(criterion)
    variables: dict[str, Any] = {}
    chosen = None
    if isinstance(template, AuxTemplate) and template.meta.role == "steps":
        variables = pipeline_variables(
            template, None, criterion=chosen_criterion, steps=None, rubric=None, generate_reference=False
        )
    else:
        if not dataset:
            raise fail(f"template {template.name} renders an item: pass --dataset FILE (and --item N)", 2)
        data = Dataset(dataset, ReadOptions(fields=parse_field_options(field or [])))
        for position, row in enumerate(data, start=1):
            if position == item:
                chosen = row
                break
        if chosen is None:
            raise fail(f"{dataset}: there is no item {item}", 2)
        if not isinstance(template, AuxTemplate) and chosen.kind != template.meta.kind:
            raise fail(f"template {template.name} is {template.meta.kind} but item {item} is {chosen.kind}", 2)
        shown = (chosen.answer_b, chosen.answer_a) if swapped and chosen.kind == "pairwise" else None
        variables = item_variables(chosen, template, shown, swapped=swapped)  # type: ignore[arg-type]
        variables.update(
            pipeline_variables(
                template,
                chosen,
                criterion=chosen_criterion,
                steps=steps_text,
                rubric=rubric_text,
                generate_reference=generate_reference,
            )
        )
    messages = template.render(variables)
    if as_json or output_format is FormatChoice.json:
        print(json.dumps([message.model_dump() for message in messages], indent=2, ensure_ascii=False))
        return
    for message in messages:
        print(f"----- {message.role} -----")
        print(message.content)
