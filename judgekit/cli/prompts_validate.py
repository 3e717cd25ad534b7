"""`judgekit prompts validate`: check a template, and render a dataset with it, without a model.

Registered under `judgekit prompts` in `judgekit.cli`.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from judgekit.cli.choices import FormatChoice
from judgekit.cli.common import Quiet, handles_errors, print_json

if TYPE_CHECKING:
    from judgekit.inputs.prompts import Template

from judgekit.cli.prompts import (
    JINJA_GLOBALS,
    CriterionOption,
    GenerateOption,
    RubricOption,
    StepsOption,
    criterion_of,
    pipeline_variables,
    read_inputs,
)


@handles_errors
def validate_command(
    name: Annotated[str, typer.Argument(help="Template name or .jinja path.")],
    dataset: Annotated[
        Optional[str], typer.Option("--dataset", "-d", help="Also check and render every item of this file.")
    ] = None,
    field: Annotated[
        Optional[list[str]], typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.")
    ] = None,
    criterion: CriterionOption = None,
    steps: StepsOption = None,
    rubric: RubricOption = None,
    generate_reference: GenerateOption = False,
    output_format: Annotated[
        FormatChoice, typer.Option("--format", help="table (lines for people) or json (the findings as JSON).")
    ] = FormatChoice.table,
    quiet: Quiet = False,
) -> None:
    """Check a template's front matter, verdict format and variables, and render a dataset with it.

    Problems are printed one per line on stderr and exit with code 2; notes (things that work
    but may surprise) are printed without failing. No model is called.
    """
    from judgekit.errors import TemplateError
    from judgekit.inputs.prompts import AUX_VARIABLES, VARIABLES, AuxTemplate
    from judgekit.inputs.template_files import load_any
    from judgekit.inputs.template_inputs import self_test

    template = load_any(name)
    steps_text, rubric_text = read_inputs(steps, rubric, template)
    chosen_criterion = criterion_of(criterion)
    problems: list[str] = []
    notes: list[str] = []
    used = template.variables() - JINJA_GLOBALS
    if isinstance(template, AuxTemplate):
        allowed = set(AUX_VARIABLES[template.meta.role])
        what = f"role {template.meta.role}"
    else:
        problems.extend(self_test(template))
        allowed = set(VARIABLES)
        what = f"{template.meta.kind}, verdict {template.meta.verdict.type}"
        if template.meta.verdict.structured is not None:
            what += f", structured (JSON field '{template.meta.verdict.structured.field}')"
        notes.extend(_judge_notes(template, used))
    unknown = sorted(used - allowed)
    if unknown:
        problems.append(
            f"uses unknown variables: {', '.join(unknown)} (a {what.split(',')[0]} template may use: "
            f"{', '.join(sorted(allowed))})"
        )
    rendered = 0
    if isinstance(template, AuxTemplate) and template.meta.role == "steps":
        try:
            template.render(
                pipeline_variables(
                    template, None, criterion=chosen_criterion, steps=None, rubric=None, generate_reference=False
                )
            )
        except TemplateError as exc:
            problems.append(str(exc))
    elif dataset:
        rendered = _render_rows(
            template,
            dataset,
            field or [],
            problems,
            criterion=chosen_criterion,
            steps=steps_text,
            rubric=rubric_text,
            generate_reference=generate_reference,
        )
    _print_findings(template.name, what, problems, notes, rendered, dataset, as_json=output_format is FormatChoice.json)


def _render_rows(
    template: Any,
    dataset: str,
    fields: list[str],
    problems: list[str],
    *,
    criterion: Any,
    steps: str | None,
    rubric: str | None,
    generate_reference: bool,
) -> int:
    """Render every row of `dataset` with the template; the first problem is appended and stops it.
    Returns how many rows rendered."""
    from judgekit.errors import TemplateError
    from judgekit.inputs.conversations import conversation_mismatch
    from judgekit.inputs.datasets import Dataset, ReadOptions, parse_field_options
    from judgekit.inputs.prompts import AuxTemplate
    from judgekit.inputs.template_inputs import item_variables, missing_requirements

    used = template.variables() - JINJA_GLOBALS
    rendered = 0
    for item in Dataset(dataset, ReadOptions(fields=parse_field_options(fields))):
        if not isinstance(template, AuxTemplate) and item.kind != template.meta.kind:
            problems.append(f"{dataset}:{item.line}: the row is {item.kind} but the template is {template.meta.kind}")
            break
        extra = pipeline_variables(
            template, item, criterion=criterion, steps=steps, rubric=rubric, generate_reference=generate_reference
        )
        missing = missing_requirements(item, template, extra)
        if criterion is not None and "criterion" in used:
            missing += [name for name in criterion.requires if getattr(item, name) is None]
        if missing:
            problems.append(f"{dataset}:{item.line}: field '{missing[0]}': needed by the template but missing")
            break
        mismatch = None if isinstance(template, AuxTemplate) else conversation_mismatch(item, template.name, used)
        if mismatch is not None:
            problems.append(f"{dataset}:{item.line}: field '{mismatch[0]}': {mismatch[1]}")
            break
        try:
            variables = item_variables(item, template)
            variables.update(extra)
            template.render(variables)
        except TemplateError as exc:
            problems.append(f"{dataset}:{item.line}: {exc}")
            break
        rendered += 1
    return rendered


def _judge_notes(template: Template, used: set[str]) -> list[str]:
    """Things about a judge template that work but are worth knowing before a run."""
    notes = []
    verdict = template.meta.verdict
    if "steps" in used or "criterion" in used:
        notes.append(
            "a G-Eval template: `judgekit eval` fills {{ criterion }} and {{ steps }} under --mode geval "
            "--criterion NAME (your own file goes in --prompt)"
        )
    if verdict.type == "score" and verdict.scale and verdict.scale[1] >= 10:
        notes.append(
            f"scores up to {verdict.scale[1]:g}: two-digit scores can take more than one token, and "
            "--score-method logprobs then keeps the written score for them (a 1-5 or 1-9 scale avoids this)"
        )
    if verdict.type == "score_pair":
        notes.append("two scores per verdict cannot be weighted by token probabilities; logprobs falls back to samples")
    return notes


def _print_findings(
    name: str, what: str, problems: list[str], notes: list[str], rendered: int, dataset: str | None, *, as_json: bool
) -> None:
    """The verdict of `prompts validate`: problems on stderr and exit 2, or one ok line (or JSON)."""
    if as_json:
        print_json({"name": name, "ok": not problems, "what": what, "problems": problems, "notes": notes,
                    "rendered": rendered})  # fmt: skip
        if problems:
            raise typer.Exit(2)
        return
    if problems:
        for problem in problems:
            print(f"{name}: {problem}", file=sys.stderr)
        raise typer.Exit(2)
    from judgekit.cli.common import is_quiet

    for note in notes if not is_quiet() else []:
        print(f"{name}: note: {note}", file=sys.stderr)
    suffix = f"; rendered {rendered} items of {dataset}" if rendered else ""
    print(f"{name}: ok ({what}){suffix}")
