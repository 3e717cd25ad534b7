"""One-off: regroup judgekit's flat modules into layered wings (issue 13).

Moves each module with `git mv` and rewrites every dotted reference (`judgekit.old` ->
`judgekit.wing.new`) and `from judgekit import old` line in code, tests, docs and scripts, in
one pass so a rewritten name is never rewritten again. Kept in the repo so that a branch made
before the regrouping can be carried onto it by running the same script.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

MOVES = {
    "aggregate": "metrics.aggregate",
    "outcomes": "metrics.outcomes",
    "levels": "metrics.levels",
    "leaderboard": "metrics.leaderboard",
    "order_effects": "metrics.order_effects",
    "families": "metrics.families",
    "datasets": "inputs.datasets",
    "baseline": "inputs.baseline",
    "prompts": "inputs.prompts",
    "parsing": "inputs.parsing",
    "criteria": "inputs.criteria",
    "rubrics": "inputs.rubrics",
    "domains": "inputs.domains",
    "judging": "judging.calls",
    "grading": "judging.grading",
    "runner": "judging.runner",
    "sampling": "judging.sampling",
    "scoring": "judging.scoring",
    "auxiliary": "judging.auxiliary",
    "limiter": "judging.limiter",
    "pricing": "judging.pricing",
    "reparse": "judging.reparse",
    "embedded": "judging.embedded",
    "reporting.progress": "judging.progress",
    "runview": "ci.runview",
    "gates": "ci.gates",
    "passrule": "ci.passrule",
    "provenance": "ci.provenance",
    "diffing": "ci.diff",
    "compare": "compare.runs",
    "comparison": "compare.statistics",
    "panel": "compare.panel",
    "rundir": "store.rundir",
    "cache": "store.cache",
    "batch.state": "store.batch_state",
    "local_models": "backends.local_models",
    "gguf": "backends.gguf",
    "logits": "backends.logits",
}
WINGS = ["metrics", "inputs", "judging", "ci", "compare", "store"]
DOTTED = re.compile(
    r"(?<![\w.])judgekit\.(" + "|".join(re.escape(k) for k in sorted(MOVES, key=len, reverse=True)) + r")(?!\w)"
)
FROM_ROOT = re.compile(r"^(\s*)from judgekit import ([\w, ]+)$", re.M)


def rewrite(text: str) -> str:
    text = DOTTED.sub(lambda m: "judgekit." + MOVES[m.group(1)], text)

    def split(match: re.Match[str]) -> str:
        indent, names = match.group(1), [n.strip() for n in match.group(2).split(",")]
        kept = [n for n in names if n not in MOVES]
        lines = [f"{indent}from judgekit import {', '.join(kept)}"] if kept else []
        for name in names:
            if name in MOVES:
                package, _, module = ("judgekit." + MOVES[name]).rpartition(".")
                alias = f" as {name}" if module != name else ""
                lines.append(f"{indent}from {package} import {module}{alias}")
        return "\n".join(lines)

    return FROM_ROOT.sub(split, text)


def main() -> None:
    root = Path(subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip())
    package = root / "judgekit"
    if (package / "store").is_dir():
        sys.exit("already regrouped")
    for wing in WINGS:
        (package / wing).mkdir(exist_ok=True)
    for old, new in MOVES.items():
        source = package / (old.replace(".", "/") + ".py")
        target = package / (new.replace(".", "/") + ".py")
        if source.exists():
            subprocess.check_call(["git", "mv", str(source), str(target)], cwd=root)
    files = subprocess.check_output(["git", "ls-files"], cwd=root, text=True).split()
    for name in files:
        path = root / name
        if (
            path.suffix not in {".py", ".md", ".toml", ".cfg", ".ini", ".txt", ".yml", ".yaml"}
            and path.name != "Makefile"
        ):
            continue
        if name == "scripts/regroup.py" or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            path.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
