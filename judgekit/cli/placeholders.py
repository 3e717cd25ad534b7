"""One placeholder style in every command's help: UPPER_CASE names for values, `a|b|c` for
choices.

Typer writes a placeholder from the Python type (`<str>`, `<list[str]>`, `[dataset]`) unless
an option names one; the commands name only a few. This pass, run once when the command tree
is built, gives every argument and option a name that says what goes there.
"""

from __future__ import annotations

from typing import Any, get_args

BY_NAME: dict[str, str] = {
    "judge": "MODEL",
    "judges": "MODEL",
    "prompt": "TEMPLATE",
    "steps_prompt": "TEMPLATE",
    "reference_prompt": "TEMPLATE",
    "name": "TEMPLATE",
    "base_url": "URL",
    "field": "NAME=COLUMN",
    "out": "DIR",
    "runs_dir": "DIR",
    "cache_dir": "DIR",
    "resume": "RUN_DIR",
    "run_dir": "RUN_DIR",
    "html": "FILE",
    "dataset": "FILE",
    "steps": "FILE",
    "rubric": "FILE",
    "checklist": "FILE",
    "min_criterion_pass": "NAME=RATE",
    "criterion": "CRITERION",
    "group_by": "COLUMN",
    "pred": "COLUMN",
    "human": "COLUMN",
    "rank_by": "METRIC",
    "price": "JUDGE=IN:OUT",
    "timeout": "SECONDS",
    "retry_base_delay": "SECONDS",
    "poll_interval": "SECONDS",
    "max_cost": "USD",
    "price_in": "USD",
    "price_out": "USD",
    "older_than": "AGE",
    "temperature": "NUMBER",
    "sources": "SOURCE",
    "names": "MODEL",
}
"""Placeholders chosen by what a value is, where its type alone would say too little."""

BY_TYPE: dict[type, str] = {int: "N", float: "NUMBER", str: "TEXT"}


def placeholder(param: Any) -> str | None:
    """The placeholder for one parameter (None for a flag, which takes no value)."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    descriptor = getattr(param, "type_descriptor", None)
    choices = getattr(descriptor, "choices", None)
    if choices:
        return "|".join(str(getattr(choice, "value", choice)) for choice in choices)
    if param.param_type_name == "argument":
        return str(param.name).upper()
    if param.name in BY_NAME:
        return BY_NAME[param.name]
    annotation = getattr(descriptor, "annotation", str)
    if getattr(descriptor, "is_list", False):
        annotation = (get_args(annotation) or (str,))[0]
    return BY_TYPE.get(annotation, "TEXT")


def apply_placeholders(command: Any) -> None:
    """Give every parameter of `command` and its subcommands a placeholder in the house style."""
    for param in getattr(command, "params", []):
        if param.metavar is None:
            param.metavar = placeholder(param)
        if param.param_type_name == "argument":
            # Typer prints an argument as `NAME <str>`: the name is placeholder enough.
            param.display_type_rich = _no_type
    for sub in (getattr(command, "commands", None) or {}).values():
        apply_placeholders(sub)


def _no_type(ctx: Any) -> None:
    return None
