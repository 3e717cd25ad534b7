"""Each cloud provider's SDK is an extra: without it, a run stops before any call with one line
naming the extra to install (exit 2), and `judgekit --help` never imports any of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.gate_helpers import cli

DATA = Path(__file__).resolve().parents[1] / "datasets" / "demo" / "pointwise.jsonl"


@pytest.mark.parametrize(
    ("judge", "hidden", "extra", "settings"),
    [
        ("gemini/gemini-2.5-flash", "google.genai", "gemini", {"GEMINI_API_KEY": "k"}),
        ("bedrock/amazon.nova-lite-v1:0", "boto3", "bedrock", {"AWS_REGION": "us-east-1"}),
        ("vertex/claude-sonnet-4-5", "google.auth", "vertex", {"CLOUD_ML_REGION": "us-east5"}),
    ],
)
def test_a_missing_sdk_names_its_extra_in_one_line(
    monkeypatch: pytest.MonkeyPatch, judge: str, hidden: str, extra: str, settings: dict[str, str]
) -> None:
    monkeypatch.setitem(sys.modules, hidden, None)  # what an environment without the package looks like
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    result = cli("eval", str(DATA), "--judge", judge, "-q")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and f"pip install 'judgekit-cli[{extra}]'" in lines[0], lines


def test_help_imports_no_cloud_sdk() -> None:
    code = (
        "import sys, judgekit.cli, judgekit.backends.registry;"
        "print(sorted(m for m in ('google.genai', 'boto3', 'google.auth') if m in sys.modules))"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"
