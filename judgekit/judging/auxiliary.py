"""Auxiliary judge calls: G-Eval's evaluation steps and generated reference answers.

Both are ordinary requests through the run's `Executor` (cache, retries, resume) and are
recorded as rows of role `aux` in judgments.jsonl: the steps once per run (item `*`, call
`steps`), a reference once per item (call `reference`). A re-run reuses those rows, and a new
run directory with the same judge finds them in the cache, so the steps for a (task,
criterion, judge) are written once. Readable copies go to `steps.txt` and `references.jsonl`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from judgekit.inputs.criteria import extract_steps
from judgekit.inputs.prompts import AuxTemplate
from judgekit.judging.runner import Executor
from judgekit.redact import redact
from judgekit.schema import JudgeRequest, Judgment, SamplingParams
from judgekit.store.rundir import atomic_write

RUN_ITEM = "*"
"""The item id of rows that belong to the whole run (the evaluation steps)."""
STEPS_CALL = "steps"
REFERENCE_CALL = "reference"
STEPS_FILE = "steps.txt"
REFERENCES_FILE = "references.jsonl"


@dataclass(frozen=True)
class AuxCaller:
    """Makes the auxiliary calls of one run with one template."""

    judge: str
    """`provider/model`."""
    model: str
    template: AuxTemplate
    params: SamplingParams

    def request(self, variables: Mapping[str, Any]) -> JudgeRequest:
        return JudgeRequest(model=self.model, messages=self.template.render(variables), params=self.params)

    async def call(self, executor: Executor, item_id: str, call: str, variables: Mapping[str, Any]) -> Judgment:
        """Resume, cache or request one auxiliary call and record its row."""
        request = self.request(variables)
        key = executor.key(request)
        previous = executor.reuse(item_id, call, key)
        if previous is not None:
            return previous
        result = await executor.complete(request, key)
        row = Judgment(
            item_id=item_id,
            call=call,
            role="aux",
            judge=self.judge,
            template=self.template.name,
            template_hash=self.template.hash,
            request_hash=key,
            status="ok",
            completion=result.completion,
            latency_s=round(result.latency_s, 4),
            attempts=result.attempts,
            cached=result.cached,
            retries=result.retries,
            retry_reasons=result.retry_reasons or None,
            cost_usd=result.cost_usd,
        )
        if result.completion is None:
            assert result.error is not None
            row.status = "error"
            row.reason = redact(str(result.error))
            row.error_kind = result.error.kind
        elif call == STEPS_CALL and extract_steps(result.completion.text) is None:
            row.status = "unscored"
            row.reason = "no numbered steps in the answer"
        executor.record(row)
        return row


def text_of(row: Judgment) -> str | None:
    """The generated text of an auxiliary row (the steps alone for a steps row), or None."""
    if row.status != "ok" or row.completion is None:
        return None
    if row.call == STEPS_CALL:
        return extract_steps(row.completion.text)
    return row.completion.text.strip() or None


def write_steps(run_dir: Path, steps: str) -> None:
    atomic_write(run_dir / STEPS_FILE, steps.rstrip("\n") + "\n")


class ReferenceLog:
    """references.jsonl: one `{item_id, reference}` line per generated reference."""

    def __init__(self, run_dir: Path, earlier: Iterable[Judgment]) -> None:
        self.path = run_dir / REFERENCES_FILE
        texts: dict[str, str] = {}
        for row in earlier:
            if row.role == "aux" and row.call == REFERENCE_CALL and (text := text_of(row)) is not None:
                texts[row.item_id] = text
        # Rewritten from the rows a resumed run keeps, so the file never repeats or keeps stale lines.
        atomic_write(self.path, "".join(_line(item_id, text) for item_id, text in texts.items()))
        self._written = set(texts)

    def add(self, item_id: str, text: str) -> None:
        """Append a reference unless this item's is already in the file (a resumed row)."""
        if item_id in self._written:
            return
        self._written.add(item_id)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(_line(item_id, text))


def _line(item_id: str, text: str) -> str:
    return json.dumps({"item_id": item_id, "reference": text}, ensure_ascii=False) + "\n"
