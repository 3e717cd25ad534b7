"""The typed run record: run.json as the 0.1 release wrote it still loads, and a damaged or newer
record is refused with one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from judgekit.errors import RunDirError
from judgekit.manifest import MANIFEST_VERSION, load_manifest
from tests.gate_helpers import cli

RELEASED = Path(__file__).parent / "data" / "release_0_1_run"


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """A run directory written by judgekit 0.1 (before run.json was a typed model)."""
    target = tmp_path / "old-run"
    shutil.copytree(RELEASED, target)
    return target


def test_a_run_written_by_the_release_loads_typed(released: Path) -> None:
    record = load_manifest(released)
    assert record.version == MANIFEST_VERSION == 1
    assert (record.kind, record.judge, record.seed, record.resamples) == ("pairwise", "mock/first", 0, 2000)
    assert record.config.positions == "random" and record.template.name == "pairwise/verdict"
    assert record.dataset.has_human_labels and record.dataset.mapping["human_label"] == "label"
    assert record.template.scale is None and record.method == "parse"


def test_report_and_gate_work_on_a_released_run(released: Path) -> None:
    report = cli("report", released, "--format", "json")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["counts"]["scored"] == 20
    gate = cli("gate", released, "--min-win-rate", "0.01")
    assert gate.exit_code == 0, gate.output


def test_a_newer_record_is_refused_with_one_line(released: Path) -> None:
    data = json.loads((released / "run.json").read_text())
    data["version"] = MANIFEST_VERSION + 1
    (released / "run.json").write_text(json.dumps(data))
    with pytest.raises(RunDirError, match="newer judgekit"):
        load_manifest(released)
    result = cli("report", released)
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1


def test_a_damaged_field_is_named(released: Path) -> None:
    data = json.loads((released / "run.json").read_text())
    data["config"]["seed"] = "not a number"
    (released / "run.json").write_text(json.dumps(data))
    with pytest.raises(RunDirError, match=r"field 'config\.seed'"):
        load_manifest(released)
