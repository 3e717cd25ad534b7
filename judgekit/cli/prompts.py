"""`judgekit prompts`: list, show, render and validate judge templates (no model is called)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer

from judgekit.cli.common import fail, handles_errors, stdout_console

app = typer.Typer(help="List, show, render and validate judge prompt templates.", no_args_is_help=True)


@app.command("list")
@handles_errors
def list_command() -> None:
    """List the built-in templates."""
    from rich.table import Table

    from judgekit.prompts import iter_builtin

    table = Table(show_header=True, header_style="bold")
    table.add_column("name")
    table.add_column("kind")
    table.add_column("verdict")
    table.add_column("description")
    for template in iter_builtin():
        verdict = template.meta.verdict
        table.add_row(template.name, template.meta.kind, verdict.type, template.meta.description)
    stdout_console().print(table)


@app.command("show")
@handles_errors
def show_command(name: Annotated[str, typer.Argument(help="Template name or .jinja path.")]) -> None:
    """Print a template's source (front matter and body) and its hash."""
    from judgekit.prompts import load

    template = load(name)
    print(f"# {template.name} ({template.path}) sha256:{template.hash}", file=sys.stderr)
    sys.stdout.write(template.source if template.source.endswith("\n") else template.source + "\n")


@app.command("render")
@handles_errors
def render_command(
    name: Annotated[str, typer.Argument(help="Template name or .jinja path.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Data file to take the item from.")],
    item: Annotated[int, typer.Option("--item", "-i", min=1, help="Which item (1-based position in the file).")] = 1,
    field: Annotated[
        Optional[list[str]], typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.")
    ] = None,
    swapped: Annotated[
        bool, typer.Option("--swapped", help="Pairwise: show answer_b first, as a swapped call would.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the messages as JSON.")] = False,
) -> None:
    """Print the messages a template produces for one item, without calling any model."""
    from judgekit.datasets import Dataset, ReadOptions, parse_field_options
    from judgekit.prompts import item_variables, load

    template = load(name)
    data = Dataset(dataset, ReadOptions(fields=parse_field_options(field or [])))
    chosen = None
    for position, row in enumerate(data, start=1):
        if position == item:
            chosen = row
            break
    if chosen is None:
        raise fail(f"{dataset}: there is no item {item}", 2)
    if chosen.kind != template.meta.kind:
        raise fail(f"template {template.name} is {template.meta.kind} but item {item} is {chosen.kind}", 2)
    shown = (chosen.answer_b, chosen.answer_a) if swapped else None
    messages = template.render(item_variables(chosen, template, shown))  # type: ignore[arg-type]
    if as_json:
        print(json.dumps([message.model_dump() for message in messages], indent=2, ensure_ascii=False))
        return
    for message in messages:
        print(f"----- {message.role} -----")
        print(message.content)


@app.command("validate")
@handles_errors
def validate_command(
    name: Annotated[str, typer.Argument(help="Template name or .jinja path.")],
    dataset: Annotated[
        Optional[str], typer.Option("--dataset", "-d", help="Also render every item of this file.")
    ] = None,
    field: Annotated[
        Optional[list[str]], typer.Option("--field", "-f", help="Map a column onto a field: NAME=COLUMN.")
    ] = None,
) -> None:
    """Check a template's front matter, verdict format and variables (and render a dataset with it)."""
    from judgekit.datasets import Dataset, ReadOptions, parse_field_options
    from judgekit.errors import TemplateError
    from judgekit.prompts import VARIABLES, item_variables, load, missing_requirements, self_test

    template = load(name)
    problems = self_test(template)
    unknown = sorted(template.variables() - set(VARIABLES) - {"loop", "range", "namespace"})
    if unknown:
        problems.append(f"uses unknown variables: {', '.join(unknown)} (known: {', '.join(VARIABLES)})")
    rendered = 0
    if dataset:
        data = Dataset(dataset, ReadOptions(fields=parse_field_options(field or [])))
        for item in data:
            if item.kind != template.meta.kind:
                problems.append(
                    f"{dataset}:{item.line}: the row is {item.kind} but the template is {template.meta.kind}"
                )
                break
            missing = missing_requirements(item, template)
            if missing:
                problems.append(f"{dataset}:{item.line}: field '{missing[0]}': required by the template but missing")
                break
            try:
                template.render(item_variables(item, template))
            except TemplateError as exc:
                problems.append(f"{dataset}:{item.line}: {exc}")
                break
            rendered += 1
    if problems:
        for problem in problems:
            print(f"{template.name}: {problem}", file=sys.stderr)
        raise typer.Exit(2)
    extra = f"; rendered {rendered} items of {dataset}" if dataset else ""
    print(f"{template.name}: ok ({template.meta.kind}, verdict {template.meta.verdict.type}){extra}")
