"""The CI recipes in examples/ci/ run as written (with the offline mock judge); the GitHub workflow,
which runs judgekit's action, is run in tests/test_action.py."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.gate_helpers import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "ci"


def _team_checkout(work: Path) -> None:
    """Lay the example outputs out the way the workflow and the hook expect them."""
    (work / "outputs").mkdir()
    shutil.copy(EXAMPLES / "outputs-candidate.jsonl", work / "outputs" / "candidate.jsonl")
    shutil.copy(EXAMPLES / "outputs-baseline.jsonl", work / "outputs" / "baseline.jsonl")


def _judgekit_args(command: str) -> list[str]:
    words = shlex.split(command)
    assert words[0] == "judgekit", command
    return words[1:]


def test_pre_commit_hook_runs(clean_environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = yaml.safe_load((EXAMPLES / "pre-commit-config.yaml").read_text())
    [hook] = config["repos"][0]["hooks"]
    _team_checkout(clean_environment)
    monkeypatch.setenv("JUDGEKIT_JUDGE", "mock/first")
    result = cli(*_judgekit_args(hook["entry"]))
    assert result.exit_code == 0, result.output


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_makefile_targets_run(clean_environment: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES.parents[1])}
    command = [
        "make", "-s", "-f", str(EXAMPLES / "Makefile"), "judge-gate",
        f"JUDGEKIT={sys.executable} -m judgekit", "JUDGE=mock/first",
        f"CANDIDATE={EXAMPLES / 'outputs-candidate.jsonl'}", f"BASELINE={EXAMPLES / 'outputs-baseline.jsonl'}",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=clean_environment, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (clean_environment / "reports" / "judgekit.md").read_text().startswith("### judgekit · pairwise")
    # The stricter re-check on the stored run fails, and make reports judgekit's exit code.
    regate = subprocess.run(
        [*command[:4], "judge-regate", *command[5:]], cwd=clean_environment, env=env, capture_output=True, text=True
    )
    assert regate.returncode != 0 and "gate FAILED: --min-win-rate 60.0%" in regate.stderr
    assert "Error 1" in regate.stderr
