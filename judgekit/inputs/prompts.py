"""Judge prompt templates: Jinja files with a YAML front matter, rendered in a sandbox.

A template file looks like::

    ---
    kind: pairwise                      # pairwise | pointwise
    description: What the template is for.
    follows: The study whose method it follows.
    verdict: {type: choice, pattern: '\\[\\[(A|B|C)\\]\\]', format: '[[{choice}]]',
              choices: {A: first, B: second, C: tie},
              structured: {field: verdict, reasoning: explanation}}   # optional: ask for JSON
    params: {temperature: 0, max_tokens: 1024}
    system: The system message (also a Jinja template).
    ---
    The user message, e.g. {{ question }} ... {{ answer_a }} ... {{ answer_b }}

Candidate texts reach the template only as variables, so text such as `{{ 7*7 }}` inside an
answer is shown literally, and the environment is Jinja's immutable sandbox, so a user's own
template cannot reach Python internals either. Before rendering, verdict markers and the
template's declared delimiters inside untrusted text are neutralised (see `neutralise`).

Judge templates (`Template`) end in a verdict. Auxiliary templates (`AuxTemplate`, front matter
`role: steps` or `role: reference`) have no kind and no verdict: they make the judge write text
that later judge calls show, such as G-Eval's evaluation steps or a reference answer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from judgekit.errors import TemplateError
from judgekit.inputs.parsing import compile_pattern
from judgekit.schema import STRONG_OUTCOMES, Kind, Message, VerdictSpec

TEMPLATE_SUFFIX = ".jinja"

VARIABLES: dict[str, str] = {
    "question": "the final user turn the answers reply to",
    "history": "earlier turns of a conversation, a list of {role, content} (empty for one turn)",
    "answer": "pointwise: the answer to judge",
    "answer_a": "pairwise: the answer shown first (judgekit may swap the dataset's answers)",
    "answer_b": "pairwise: the answer shown second",
    "conversation": "pointwise, multi-turn data: the whole conversation, a list of {role, content}; the last is judged",
    "conversation_a": "pairwise, per-model conversations: the conversation shown first (its last turn is answer_a)",
    "conversation_b": "pairwise, per-model conversations: the conversation shown second (its last turn is answer_b)",
    "answers": "listwise: the answers in the order shown (judgekit shuffles them per item), a list of texts",
    "reference": "a reference answer (absent unless the data or --generate-reference gives one)",
    "context": "source text the answer must be faithful to",
    "category": "the item's category",
    "rubric": "a scoring rubric from the data or --rubric",
    "criterion": "G-Eval: the criterion; prints as 'Name: definition', with .name, .title, .definition, .task",
    "steps": "G-Eval: the numbered evaluation steps (generated once per criterion, or from --steps)",
    "metadata": "every other column of the row, as a mapping",
    "item_id": "the item's id",
    "rubric_item": "checklist (one call per criterion): the criterion; prints as its text, with .number, .points, "
    ".points_text, .name",
    "rubric_items": "checklist (one call for all criteria): the list of criteria, each like rubric_item",
}
"""Variables a template may use; a missing optional one is undefined (test with `is defined`)."""

UNTRUSTED = ("question", "answer", "answer_a", "answer_b", "reference", "context", "rubric")
"""Variables holding text from the dataset (never trusted to be free of markers)."""


class Params(BaseModel):
    """Default sampling parameters of a template (command-line options override them)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float = 0.0
    max_tokens: int = 1024


class FrontMatter(BaseModel):
    """The YAML block at the top of a template file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    description: str
    follows: str | None = None
    """The study or tool whose method the template follows."""
    verdict: VerdictSpec
    params: Params = Params()
    system: str | None = None
    requires: list[str] = Field(default_factory=list)
    """Item fields every item must have (e.g. reference)."""
    delimiters: list[str] = Field(default_factory=list)
    """Strings that frame candidate text in the prompt; copies inside candidate text are altered."""
    role: Literal["judge"] = "judge"
    """A judge template reads a verdict; `role: steps | reference` makes an `AuxFrontMatter`."""
    checklist: Literal["each", "all"] | None = None
    """A checklist template grades an answer against criteria with points: `each` makes one call
    per criterion (shows `rubric_item`); `all` one call for every criterion (shows `rubric_items`,
    and its verdict pattern has two groups: the criterion's number, then the choice)."""

    @model_validator(mode="after")
    def _check_verdict(self) -> FrontMatter:
        verdict = self.verdict
        try:
            regex = compile_pattern(verdict.pattern, verdict.ignore_case)
        except Exception as exc:  # re.error carries the position of the mistake
            raise ValueError(f"verdict.pattern is not a valid regular expression: {exc}") from None
        wanted = 2 if verdict.type == "score_pair" or self.checklist == "all" else 1
        if regex.groups != wanted:
            raise ValueError(f"verdict.pattern for type {verdict.type} needs {wanted} group(s), has {regex.groups}")
        if verdict.type == "choice":
            if not verdict.choices:
                raise ValueError("verdict.choices is required for type choice")
            outcomes = set(verdict.choices.values())
            if self.kind == "pairwise" and not outcomes <= {"first", "second", "tie", *STRONG_OUTCOMES}:
                raise ValueError(
                    "pairwise verdict.choices must map to first, second or tie "
                    "(graded templates also to first_strong, second_strong)"
                )
            if verdict.graded and (self.kind != "pairwise" or not {"first", "second"} <= outcomes):
                raise ValueError("graded verdict.choices (first_strong, second_strong) need first and second too")
            if self.kind == "listwise" and not all(
                isinstance(value, (int, float)) and value == int(value) and 1 <= value <= 9 for value in outcomes
            ):
                raise ValueError("listwise verdict.choices must map to answer numbers 1-9 in the order shown")
            if self.kind == "pointwise" and not all(isinstance(value, (int, float)) for value in outcomes):
                raise ValueError("pointwise verdict.choices must map to numbers (e.g. pass: 1, fail: 0)")
        elif verdict.scale is None:
            raise ValueError(f"verdict.scale [low, high] is required for type {verdict.type}")
        if verdict.strong_weight is not None and not verdict.graded:
            raise ValueError("verdict.strong_weight needs choices that map to first_strong or second_strong")
        if verdict.type != "choice" and self.kind == "listwise":
            raise ValueError("a listwise template's verdict is of type choice (the number of the best answer)")
        if verdict.type == "score_pair" and self.kind != "pairwise":
            raise ValueError("verdict type score_pair is for pairwise templates")
        structured = verdict.structured
        if structured is not None and verdict.type == "score_pair":
            raise ValueError("verdict.structured reads one choice or one score; type score_pair cannot be structured")
        if structured is not None and structured.reasoning == structured.field:
            raise ValueError("verdict.structured: reasoning and field must name different fields")
        if self.checklist is not None and (self.kind != "pointwise" or verdict.type != "choice"):
            raise ValueError("a checklist template is pointwise with a choice verdict (e.g. MET: 1, NOT_MET: 0)")
        if self.checklist is not None and {float(value) for value in (verdict.choices or {}).values()} != {0.0, 1.0}:
            raise ValueError("a checklist template's verdict.choices map to 1 (met) and 0 (not met)")
        unknown = [name for name in self.requires if name not in VARIABLES]
        if unknown:
            raise ValueError(f"requires names unknown variables: {', '.join(unknown)}")
        return self


AuxRole = Literal["steps", "reference"]

AUX_VARIABLES: dict[str, frozenset[str]] = {
    "steps": frozenset({"criterion"}),
    "reference": frozenset({"question", "history", "context", "category", "metadata", "item_id"}),
}
"""Variables an auxiliary template may use: steps are written once per criterion (no item);
a reference is written per item before any answer is shown."""


class AuxFrontMatter(BaseModel):
    """The front matter of an auxiliary template: it generates text, it reads no verdict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: AuxRole
    """steps: G-Eval's evaluation steps for a criterion; reference: a reference answer for an item."""
    description: str
    follows: str | None = None
    params: Params = Params()
    system: str | None = None
    requires: list[str] = Field(default_factory=list)
    delimiters: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_requires(self) -> AuxFrontMatter:
        unknown = [name for name in self.requires if name not in AUX_VARIABLES[self.role]]
        if unknown:
            allowed = ", ".join(sorted(AUX_VARIABLES[self.role]))
            raise ValueError(
                f"requires names variables a {self.role} template cannot use: {', '.join(unknown)} (allowed: {allowed})"
            )
        return self


@dataclass(frozen=True)
class _Renderable:
    """What every template file has: a source, a body and an optional system message."""

    name: str
    path: Path
    source: str
    body: str
    builtin: bool

    @property
    def system_text(self) -> str | None:
        raise NotImplementedError

    @property
    def delimiters(self) -> list[str]:
        raise NotImplementedError

    @property
    def role(self) -> str:
        raise NotImplementedError

    @cached_property
    def hash(self) -> str:
        """sha256 of the whole file: any edit to wording or front matter changes it."""
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]

    def _jinja_error(self, exc: Exception, part: str) -> TemplateError:
        """A Jinja error (syntax, unknown filter or test) as one line naming the file's own line.

        Jinja counts lines within the text it was given; the body starts after the front
        matter, and the system message is a front matter field.
        """
        message = str(getattr(exc, "message", None) or exc).splitlines()[0].strip()
        kind = "Jinja syntax error" if type(exc).__name__ == "TemplateSyntaxError" else "Jinja error"
        if part == "system":
            return TemplateError(f"{self.path}: front matter 'system': {kind}: {message}")
        line = getattr(exc, "lineno", None) or 1
        return TemplateError(f"{self.path}:{body_first_line(self.source) + line - 1}: {kind}: {message}")

    @cached_property
    def _compiled(self) -> tuple[Any, Any]:
        environment = _environment()
        compiled: dict[str, Any] = {"system": None}
        for text, part in [(self.system_text or "", "system"), (self.body, "body")]:
            if part == "system" and not self.system_text:
                continue
            try:
                compiled[part] = environment.from_string(text)
            except Exception as exc:  # jinja2.TemplateSyntaxError, TemplateAssertionError (unknown filter)
                raise self._jinja_error(exc, part) from None
        return compiled["system"], compiled["body"]

    @cached_property
    def _constant_system(self) -> Message | None:
        """The system message, rendered once when it uses no variables (the common case): a
        render costs more than the rest of building a request."""
        from jinja2 import meta

        if not self.system_text:
            return None
        environment = _environment()
        try:
            if meta.find_undeclared_variables(environment.parse(self.system_text)):
                return None
        except Exception:  # a syntax error is reported by _compiled
            return None
        return Message(role="system", content=self._compiled[0].render({}).strip())

    def variables(self) -> set[str]:
        """Names the template refers to (including ones used only under `is defined`)."""
        return set(self._variables)

    @cached_property
    def _variables(self) -> frozenset[str]:
        # Parsed once: a run asks for every row whether the template shows a field.
        from jinja2 import meta

        environment = _environment()
        names: set[str] = set()
        for text, part in ((self.system_text or "", "system"), (self.body, "body")):
            try:
                # Finding the names compiles the template, which is where an unknown filter shows.
                names |= meta.find_undeclared_variables(environment.parse(text))
            except Exception as exc:  # jinja2.TemplateSyntaxError, TemplateAssertionError
                raise self._jinja_error(exc, part) from None
        return frozenset(names)

    def unknown_variables(self) -> list[tuple[str, str]]:
        """Names the template reads that judgekit never provides, with where each is first used
        ("<file>:<line>" in the body, or "front matter 'system'")."""
        from jinja2 import nodes
        from jinja2.meta import find_undeclared_variables

        environment = _environment()
        known = set(VARIABLES) | set(environment.globals) | {"loop"}
        body_start = body_first_line(self.source)
        found: list[tuple[str, str]] = []
        for text, where_in in ((self.system_text or "", "system"), (self.body, "body")):
            try:
                tree = environment.parse(text)
                undeclared = find_undeclared_variables(tree)
            except Exception as exc:  # jinja2.TemplateSyntaxError, TemplateAssertionError
                raise self._jinja_error(exc, where_in) from None
            for name in sorted(undeclared - known):
                lines = [node.lineno for node in tree.find_all(nodes.Name) if node.name == name]
                if where_in == "body":
                    where = f"{self.path}:{body_start + min(lines) - 1}" if lines else str(self.path)
                else:
                    where = f"{self.path}: front matter 'system'"
                found.append((name, where))
        return found

    def check_variables(self) -> None:
        """Reject a template that reads a variable judgekit never provides (before any call)."""
        unknown = self.unknown_variables()
        if unknown:
            name, where = unknown[0]
            raise TemplateError(
                f"{where}: template {self.name} uses unknown variable '{name}'; known variables: {', '.join(VARIABLES)}"
            )

    def render(self, variables: Mapping[str, Any]) -> tuple[Message, ...]:
        """Render the system and user messages; raises TemplateError naming a missing variable."""
        from jinja2 import UndefinedError

        system, user = self._compiled
        try:
            messages = []
            if self._constant_system is not None:
                messages.append(self._constant_system)
            elif system is not None:
                messages.append(Message(role="system", content=system.render(variables).strip()))
            messages.append(Message(role="user", content=user.render(variables).strip()))
        except UndefinedError as exc:
            raise TemplateError(f"template {self.name}: {exc.message}") from None
        except Exception as exc:  # SecurityError and runtime errors from a user's template
            raise TemplateError(f"template {self.name}: cannot render ({type(exc).__name__}: {exc})") from None
        return tuple(messages)


@dataclass(frozen=True)
class AuxTemplate(_Renderable):
    """A loaded auxiliary template (role steps or reference)."""

    meta: AuxFrontMatter

    @property
    def system_text(self) -> str | None:
        return self.meta.system

    @property
    def delimiters(self) -> list[str]:
        return self.meta.delimiters

    @property
    def role(self) -> str:
        return self.meta.role


@dataclass(frozen=True)
class Template(_Renderable):
    """A loaded, validated judge template."""

    meta: FrontMatter

    @property
    def system_text(self) -> str | None:
        return self.meta.system

    @property
    def delimiters(self) -> list[str]:
        return self.meta.delimiters

    @property
    def role(self) -> str:
        return "judge"

    def example_verdict(self, value: str | float | tuple[float, float], number: int = 1) -> str:
        """A verdict written in this template's format (used by the mock backend); `number` is the
        criterion's number for checklist templates that grade every criterion in one call."""
        fmt = self.meta.verdict.format
        if isinstance(value, tuple):
            return fmt.format(first=_num(value[0]), second=_num(value[1]))
        return fmt.format(choice=value, score=_num(value) if isinstance(value, float) else value, number=number)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@lru_cache(maxsize=1)
def _environment() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def body_first_line(source: str) -> int:
    """The file line (1-based) on which the template body starts, after the front matter."""
    lines = source.splitlines()
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return index + 2
    return 1
