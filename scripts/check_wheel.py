"""Check a built wheel: it must carry the built-in templates and work outside the source tree.

Usage: python scripts/check_wheel.py dist/judgekit-*.whl

The wheel is unpacked into a temporary folder that is put first on PYTHONPATH, and judgekit is
run from another temporary folder, so neither the source checkout nor an editable install can
stand in for what the wheel contains.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(wheel: str) -> int:
    names = zipfile.ZipFile(wheel).namelist()
    templates = sorted(name for name in names if name.startswith("judgekit/_prompts/") and name.endswith(".jinja"))
    expected = sorted(
        f"judgekit/_prompts/{path.relative_to(ROOT / 'prompts').as_posix()}"
        for path in (ROOT / "prompts").rglob("*.jinja")
    )
    if templates != expected:
        print(f"wheel templates {templates} differ from prompts/ {expected}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as unpacked, tempfile.TemporaryDirectory() as elsewhere:
        zipfile.ZipFile(wheel).extractall(unpacked)
        env = {**os.environ, "PYTHONPATH": unpacked, "JUDGEKIT_CACHE_DIR": str(Path(elsewhere) / "cache")}
        probe = "import judgekit.inputs.prompts as p; print(p.builtin_dir()); print(len(p.builtin_names()))"
        where, count = subprocess.run(
            [sys.executable, "-c", probe], cwd=elsewhere, env=env, check=True, capture_output=True, text=True
        ).stdout.split()
        if not where.startswith(unpacked) or int(count) != len(expected):
            print(f"templates resolved to {where} ({count}), not inside the wheel", file=sys.stderr)
            return 1
        data = ROOT / "datasets" / "demo" / "pairwise.jsonl"
        command = [sys.executable, "-m", "judgekit", "eval", str(data), "--judge", "mock/random", "--format", "json"]
        result = subprocess.run(
            [*command, "-q", "--html", "report.html"],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
        summary = json.loads(result.stdout)
        report = Path(elsewhere) / "report.html"
        if not report.is_file() or not report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>"):
            print("the HTML report was not written from the wheel (are its assets inside?)", file=sys.stderr)
            return 1
        print(
            f"wheel ok: {len(templates)} templates, eval from the wheel judged {summary['counts']['items']} items "
            "and wrote its HTML report"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
