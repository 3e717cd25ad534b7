"""Turn MT-Bench's own files into judgekit rows with per-model conversations.

Usage:
    python scripts/mt_bench_conversations.py QUESTIONS ANSWERS_A ANSWERS_B [--turn 2]
        [--reference FILE] [--out FILE]

QUESTIONS is MT-Bench's question.jsonl (`question_id`, `category`, `turns`: the user turns).
ANSWERS_A and ANSWERS_B are two models' answer files as FastChat's llm_judge writes them
(`question_id`, `model_id`, `choices[0].turns`: the model's reply to each user turn). Each
question answered in both files becomes one row judging turn N (default 2):

    {"id": "81-turn2", "question_id": 81, "turn": 2, "category": "writing",
     "model_a": ..., "model_b": ...,
     "conversation_a": [user 1, A's reply 1, user 2, A's reply 2], "conversation_b": [...]}

so each model's second reply is judged after its own first reply, as MT-Bench does. With
--reference (MT-Bench's reference_answer/gpt-4.jsonl, same shape as an answer file) a row whose
question has a reference answer gets that turn's reference as `reference`. The rows load as-is:
`judgekit eval OUT -j JUDGE --prompt pairwise/multi_turn`.

A problem (a file that is not JSONL, a question without the turn asked for) is one line on
stderr and exit status 2. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


class InputError(Exception):
    """A problem with an input file, said in one line."""


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or "question_id" not in row:
            raise InputError(f"{path}:{number}: expected an object with a question_id")
        rows.append(row)
    return rows


def replies(path: Path) -> tuple[str | None, dict[Any, list[str]]]:
    """A FastChat answer file: the model's name and its reply turns per question id."""
    found: dict[Any, list[str]] = {}
    model = None
    for number, row in enumerate(read_jsonl(path), start=1):
        try:
            turns = row["choices"][0]["turns"]
        except (KeyError, IndexError, TypeError):
            raise InputError(f"{path}: row {number} has no choices[0].turns") from None
        if not isinstance(turns, list) or not all(isinstance(turn, str) for turn in turns):
            raise InputError(f"{path}: row {number}: choices[0].turns must be a list of texts")
        found[row["question_id"]] = turns
        model = model or row.get("model_id")
    return model, found


def conversation(questions: list[str], answers: list[str], turn: int) -> list[dict[str, str]]:
    """The first `turn` user turns, each followed by this model's reply."""
    messages = []
    for user, assistant in zip(questions[:turn], answers[:turn], strict=True):
        messages += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return messages


def build_rows(
    questions: list[dict[str, Any]],
    first: tuple[str | None, dict[Any, list[str]]],
    second: tuple[str | None, dict[Any, list[str]]],
    turn: int,
    references: dict[Any, list[str]] | None = None,
) -> list[dict[str, Any]]:
    (model_a, answers_a), (model_b, answers_b) = first, second
    rows = []
    for question in questions:
        key = question["question_id"]
        if key not in answers_a or key not in answers_b:
            continue  # a model that did not answer this question: nothing to compare
        user_turns = question.get("turns") or []
        for name, turns in (
            ("question", user_turns),
            (model_a or "A", answers_a[key]),
            (model_b or "B", answers_b[key]),
        ):
            if len(turns) < turn:
                raise InputError(f"question {key}: {name} has {len(turns)} turn(s), fewer than --turn {turn}")
        row: dict[str, Any] = {
            "id": f"{key}-turn{turn}",
            "question_id": key,
            "turn": turn,
            "category": question.get("category"),
            "model_a": model_a,
            "model_b": model_b,
            "conversation_a": conversation(user_turns, answers_a[key], turn),
            "conversation_b": conversation(user_turns, answers_b[key], turn),
        }
        reference = (references or {}).get(key)
        if reference and len(reference) >= turn:
            row["reference"] = reference[turn - 1]
        rows.append({name: value for name, value in row.items() if value is not None})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MT-Bench question and answer files -> judgekit conversation rows.")
    parser.add_argument("questions", type=Path)
    parser.add_argument("answers_a", type=Path)
    parser.add_argument("answers_b", type=Path)
    parser.add_argument("--turn", type=int, default=2, help="The user turn whose replies are judged (default 2).")
    parser.add_argument("--reference", type=Path, help="Reference answers in the answer-file format.")
    parser.add_argument("--out", type=Path, help="Write here instead of standard output.")
    args = parser.parse_args(argv)
    if args.turn < 1:
        print("mt_bench_conversations: --turn must be 1 or more", file=sys.stderr)
        return 2
    try:
        references = replies(args.reference)[1] if args.reference else None
        rows = build_rows(
            read_jsonl(args.questions), replies(args.answers_a), replies(args.answers_b), args.turn, references
        )
    except InputError as exc:
        print(f"mt_bench_conversations: {exc}", file=sys.stderr)
        return 2
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    print(f"mt_bench_conversations: {len(rows)} rows judging turn {args.turn}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
