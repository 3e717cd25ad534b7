"""Evaluation criteria for G-Eval-style grading, and the evaluation steps written for them.

A criterion is what `--criterion` names: a built-in one (`coherence`, `consistency`,
`fluency`, `relevance` for summaries, `helpfulness` and `correctness` for answers,
`faithfulness` for answers that must rest on a given `context`), a YAML/JSON file, a text
file, or a sentence on the command line. Its `task` decides how the G-Eval template frames
the item:

- `summary`: a source document (the item's `context`, or else its `question`) and a summary of
  it (the `answer`); SummEval's four criteria are of this kind.
- `answer`: a user request (`question`) and an answer to it.
- `grounded`: a context passage, a request and an answer that may use the context only; items
  must have a `context` field.

The definitions are our own wording of what each criterion means in the studies that use it
(SummEval's expert annotation guidelines for the four summary criteria).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from judgekit.errors import UsageError

Task = Literal["summary", "answer", "grounded"]

INTRODUCTIONS: dict[str, str] = {
    "summary": "You will read a source document and a summary that was written for it.",
    "answer": "You will read a user request and an answer that was written for it.",
    "grounded": (
        "You will read a context passage, a user request, and an answer that should rely on the context "
        "passage and nothing else."
    ),
}


@dataclass(frozen=True)
class Criterion:
    """One criterion. In a template it prints as `Title: definition`."""

    name: str
    """Short identifier, e.g. coherence."""
    title: str
    """How the criterion is named in the prompt, e.g. Coherence."""
    definition: str
    task: Task = "answer"
    builtin: bool = False

    @property
    def subject(self) -> str:
        """What is being graded: "summary" or "answer"."""
        return "summary" if self.task == "summary" else "answer"

    @property
    def introduction(self) -> str:
        """One sentence that tells the judge what it will read."""
        return INTRODUCTIONS[self.task]

    @property
    def requires(self) -> tuple[str, ...]:
        """Item fields every item must have for this criterion."""
        return ("context",) if self.task == "grounded" else ()

    def describe(self) -> dict[str, str]:
        """What identifies the criterion in a run's manifest (and so in its run id)."""
        return {"name": self.name, "title": self.title, "definition": self.definition, "task": self.task}

    def __str__(self) -> str:
        return f"{self.title}: {self.definition}"


BUILTIN_CRITERIA: dict[str, Criterion] = {
    criterion.name: criterion
    for criterion in (
        Criterion(
            name="coherence",
            title="Coherence",
            definition=(
                "how well the summary holds together as a whole. Its sentences should follow on from one "
                "another in a sensible order and build an organised account of the topic, rather than a "
                "loose list of related facts. Abrupt jumps, sentences that contradict each other and "
                "information in a confusing order all lower coherence."
            ),
            task="summary",
            builtin=True,
        ),
        Criterion(
            name="consistency",
            title="Consistency",
            definition=(
                "whether everything the summary states is backed by the source document. A claim that the "
                "source does not make, or that the source contradicts, makes the summary inconsistent, "
                "however plausible the claim sounds; rewording is fine as long as the meaning is kept."
            ),
            task="summary",
            builtin=True,
        ),
        Criterion(
            name="fluency",
            title="Fluency",
            definition=(
                "the quality of the summary's individual sentences. They should be grammatical, correctly "
                "punctuated and capitalised, and free of garbled, repeated or missing words, so that each "
                "one reads easily on its own."
            ),
            task="summary",
            builtin=True,
        ),
        Criterion(
            name="relevance",
            title="Relevance",
            definition=(
                "how well the summary selects the important content of the source document. It should "
                "cover the main points and leave out minor details, repetition and anything the source "
                "does not say."
            ),
            task="summary",
            builtin=True,
        ),
        Criterion(
            name="helpfulness",
            title="Helpfulness",
            definition=(
                "how well the answer serves the person who asked. It should address the request that was "
                "actually made, at a level of detail that suits it, and leave the user able to act on it; "
                "padding, evasion and unrequested digressions make it less helpful."
            ),
            task="answer",
            builtin=True,
        ),
        Criterion(
            name="correctness",
            title="Correctness",
            definition=(
                "whether the answer's facts, calculations, code and conclusions are right. Each mistake "
                "counts in proportion to how much it matters to the request; a confident wrong answer is "
                "worse than a correct answer that admits what it does not know."
            ),
            task="answer",
            builtin=True,
        ),
        Criterion(
            name="faithfulness",
            title="Faithfulness",
            definition=(
                "whether every claim in the answer is supported by the context passage. A statement the "
                "context does not support, or one that contradicts it, counts against the answer even if "
                "it happens to be true in the wider world."
            ),
            task="grounded",
            builtin=True,
        ),
    )
}
"""The built-in criteria, by name."""

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 _-]{0,39}$")
_CRITERION_SUFFIXES = (".yaml", ".yml", ".json")


def resolve(spec: str) -> Criterion:
    """The criterion `--criterion` names: a built-in name, a file, or a sentence.

    A sentence may start with its name (`"Conciseness: says what is needed and no more"`).
    """
    text = spec.strip()
    if not text:
        raise UsageError("--criterion is empty; name a built-in criterion, a file, or write the definition")
    if text.lower() in BUILTIN_CRITERIA:
        return BUILTIN_CRITERIA[text.lower()]
    path = Path(text)
    if "\n" not in text and len(text) < 1024 and path.is_file():
        return _from_file(path)
    if " " not in text:
        import difflib

        close = difflib.get_close_matches(text.lower(), list(BUILTIN_CRITERIA), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(
            f"unknown criterion {text!r}{hint}; built in: {', '.join(BUILTIN_CRITERIA)}; "
            "or give a .yaml/.json/.txt file, or write the definition as a sentence"
        )
    head, separator, rest = text.partition(":")
    if separator and _NAME.match(head.strip()) and rest.strip():
        title = head.strip()
        return Criterion(name=_slug(title), title=title, definition=rest.strip())
    return Criterion(name="custom", title="Quality", definition=text)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "custom"


def _from_file(path: Path) -> Criterion:
    """A criterion file: YAML/JSON {name, title, definition, task}, or plain text (the definition)."""
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the criterion file ({exc})") from None
    if path.suffix.lower() not in _CRITERION_SUFFIXES:
        if not content.strip():
            raise UsageError(f"{path}: the criterion file is empty")
        title = path.stem.replace("_", " ").replace("-", " ").strip().capitalize() or "Quality"
        return Criterion(name=_slug(path.stem), title=title, definition=content.strip())
    import yaml

    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML/JSON ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a criterion file holds a mapping with name, definition and task")
    known = {"name", "title", "definition", "task"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{path}: field '{unknown[0]}': unknown (known: definition, name, task, title)")
    definition = data.get("definition")
    if not isinstance(definition, str) or not definition.strip():
        raise UsageError(f"{path}: field 'definition': required, a sentence or two saying what is judged")
    task = data.get("task", "answer")
    if task not in INTRODUCTIONS:
        raise UsageError(f"{path}: field 'task': {task!r} is not one of {', '.join(INTRODUCTIONS)}")
    name = str(data.get("name") or path.stem)
    title = str(data.get("title") or name.replace("_", " ").capitalize())
    return Criterion(name=_slug(name), title=title, definition=definition.strip(), task=task)


# -- evaluation steps -----------------------------------------------------------------------
_FIRST_STEP = re.compile(r"^[ \t]*(?:\*\*)?(?:step[ \t]*)?1[ \t]*[.):]", re.IGNORECASE | re.MULTILINE)


def extract_steps(text: str) -> str | None:
    """The numbered steps in a judge's answer (from the line that starts step 1), or None."""
    match = _FIRST_STEP.search(text)
    if match is None:
        return None
    steps = text[match.start() :].strip()
    return steps or None


def read_steps_file(path: str) -> str:
    """Evaluation steps a user wrote (`--steps FILE`): any non-empty text, used as written."""
    try:
        content = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: steps file not found (--steps)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the steps file ({exc})") from None
    if not content.strip():
        raise UsageError(f"{path}: the steps file is empty")
    return content.strip()
