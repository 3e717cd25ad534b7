"""The GitHub Action (action.yml): its metadata against the schema, its inputs wired through to
the script, and its judging step run locally the way a runner runs it (the mock judge, with
GITHUB_STEP_SUMMARY and GITHUB_OUTPUT as temporary files), driven by examples/ci's workflow."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ACTION: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
SCRIPT = ROOT / "scripts" / "action_run.sh"
EXAMPLES = ROOT / "examples" / "ci"
INSTALL_INPUTS = {"install", "python"}
"""Inputs of the install step; the others (but cache and artifact-name) go to the judging step."""


def _step(name: str) -> dict[str, Any]:
    [step] = [step for step in ACTION["runs"]["steps"] if step["name"] == name]
    return step


def _env_name(input_name: str) -> str:
    return "INPUT_" + input_name.upper().replace("-", "_")


def test_action_metadata_matches_its_schema() -> None:
    schema = json.loads((ROOT / "scripts" / "action.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(ACTION, schema, cls=jsonschema.Draft202012Validator)
    # The schema does reject what GitHub would: an input default that is not text, a step with no shell.
    broken = yaml.safe_load((ROOT / "action.yml").read_text())
    broken["inputs"]["min-score"]["default"] = 0.5
    with pytest.raises(jsonschema.ValidationError, match=r"0\.5 is not of type 'string'"):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)
    del broken["inputs"]["min-score"]["default"], broken["runs"]["steps"][0]["shell"]
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(broken))
    assert len(errors) == 2


def test_every_input_reaches_the_script_and_every_output_is_written() -> None:
    inputs = set(ACTION["inputs"])
    steps = {"install": _step("Install judgekit"), "judge": _step("Judge")}
    passed = {
        name: value for step in steps.values() for name, value in step["env"].items() if name.startswith("INPUT_")
    }
    for name in inputs - {"cache", "artifact-name"}:
        assert passed.get(_env_name(name)) == f"${{{{ inputs.{name} }}}}", name
    assert {_env_name(name) for name in INSTALL_INPUTS} == set(steps["install"]["env"])
    used = set(re.findall(r"\bINPUT_[A-Z_]+", SCRIPT.read_text()))
    assert used == set(passed), "the script reads exactly the inputs that action.yml passes"
    script = SCRIPT.read_text()
    for output in ACTION["outputs"].values():
        step, key = re.fullmatch(r"\$\{\{ steps\.([a-z-]+)\.outputs\.([a-z-]+) \}\}", output["value"]).groups()  # type: ignore[union-attr]
        assert step == steps["judge"]["id"] and f'echo "{key}=' in script
    upload = _step("Upload the reports and the run directory")
    assert upload["if"] == "always()" and upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"].splitlines() == ["${{ inputs.reports }}", "${{ inputs.out }}"]
    cache = _step("Restore the judge cache")
    assert cache["with"]["path"] == steps["judge"]["env"]["JUDGEKIT_CACHE_DIR"]


def _workflow_inputs() -> dict[str, str]:
    workflow = yaml.safe_load((EXAMPLES / "judge-quality.yml").read_text())
    [step] = [step for step in workflow["jobs"]["judge"]["steps"] if "/judgekit@" in step.get("uses", "")]
    return {str(key): str(value) for key, value in step["with"].items()}


def _judgekit_command(folder: Path) -> Path:
    """A `judgekit` executable for the script: this checkout's judgekit under this Python."""
    command = folder / "judgekit"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m judgekit "$@"\n')
    command.chmod(command.stat().st_mode | stat.S_IEXEC)
    return command


def _run_step(work: Path, given: dict[str, str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the action's judging step as a runner would: inputs (or their defaults) as INPUT_*."""
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | given
    env = {key: value for key, value in os.environ.items() if not key.startswith(("INPUT_", "GITHUB_"))}
    for key, value in _step("Judge")["env"].items():
        name = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", value)
        env[key] = values[name.group(1)] if name else value
    outputs, summary = tmp_path / "github-output", tmp_path / "step-summary.md"
    env |= {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary), "PYTHONPATH": str(ROOT)}
    env["JUDGEKIT_BIN"] = str(_judgekit_command(tmp_path))
    done = subprocess.run(["bash", str(SCRIPT), "eval"], cwd=work, env=env, capture_output=True, text=True)
    return done, outputs


def _team_checkout(work: Path) -> None:
    (work / "outputs").mkdir()
    shutil.copy(EXAMPLES / "outputs-candidate.jsonl", work / "outputs" / "candidate.jsonl")
    shutil.copy(EXAMPLES / "outputs-baseline.jsonl", work / "outputs" / "baseline.jsonl")


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def test_example_workflow_step_judges_reports_and_passes(clean_environment: Path, tmp_path: Path) -> None:
    _team_checkout(clean_environment)
    inputs = _workflow_inputs()
    assert inputs["judge"].startswith("openai/")
    done, outputs = _run_step(clean_environment, inputs | {"judge": "mock/first"}, tmp_path)
    assert done.returncode == 0, done.stderr
    written = _outputs(outputs)
    assert written == {
        "exit-code": "0",
        "run-dir": "runs/judgekit",
        "html": "judgekit-reports/judgekit.html",
        "junit": "judgekit-reports/judgekit.xml",
    }
    root = ElementTree.parse(clean_environment / written["junit"]).getroot()
    assert len(list(root.iter("testcase"))) == 20 + 2 + 1  # 20 items, 2 gates (min-win-rate, max-unscored), the run
    assert not [case for case in root.iter("testcase") if case.find("failure") is not None]  # exit 0: all green
    assert (clean_environment / written["html"]).read_text().startswith("<!DOCTYPE html>")
    summary = json.loads((clean_environment / written["run-dir"] / "summary.json").read_text())
    assert summary["counts"]["items"] == 20 and summary["config"]["judge"] == "mock/first"
    assert (tmp_path / "step-summary.md").read_text().startswith("### judgekit · pairwise · mock/first")
    assert (clean_environment / ".judgekit-cache").is_dir()  # where actions/cache keeps it


def test_a_failed_gate_fails_the_step_after_writing_every_report(clean_environment: Path, tmp_path: Path) -> None:
    _team_checkout(clean_environment)
    given = _workflow_inputs() | {"judge": "mock/second", "positions": "fixed", "on-ci-bound": "none"}
    done, outputs = _run_step(clean_environment, given, tmp_path)
    assert done.returncode == 1
    assert "gate FAILED: --min-win-rate 50.0%" in done.stderr
    assert _outputs(outputs)["exit-code"] == "1"
    assert (clean_environment / "judgekit-reports" / "judgekit.html").is_file()  # the upload has its files
    assert "Quality gates: ❌ 1 of 2 failed" in (tmp_path / "step-summary.md").read_text()


def test_extra_arguments_and_bad_inputs(clean_environment: Path, tmp_path: Path) -> None:
    _team_checkout(clean_environment)
    base = {"data": "outputs/candidate.jsonl", "judge": "mock/random", "out": "runs/limited"}
    done, _ = _run_step(clean_environment, base | {"args": "--limit 5  --seed 3"}, tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads((clean_environment / "runs" / "limited" / "summary.json").read_text())
    assert summary["counts"]["items"] == 5 and summary["config"]["seed"] == 3
    done, _ = _run_step(clean_environment, base | {"min-win-rate": "0.5"}, tmp_path)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0  # pointwise data: one clear line
    assert "--min-win-rate applies to pairwise runs" in done.stderr
    done, _ = _run_step(clean_environment, base | {"data": ""}, tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        "judgekit action: the input 'data' is required: the file of outputs to judge\n",
    )


def test_install_without_a_source_says_what_to_set(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("INPUT_", "GITHUB_"))}
    done = subprocess.run(["bash", str(SCRIPT), "install"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == "judgekit action: nothing to install: set the input 'install' (e.g. judgekit-cli==0.1.0)\n"
