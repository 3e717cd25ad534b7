"""Credentials in URLs never reach a file judgekit writes or a line it prints.

A base URL may carry a user and password (`http://user:pass@host/v1`) or a key in its query
(`?api_key=...`). Each test below runs judgekit's commands with such URLs, then searches every
file under the test's folder (run directories, cache, reports) and all output for the secrets.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from judgekit.cli import app
from judgekit.redact import redact, redact_data, redact_url
from judgekit.testing.server import FakeProvider
from tests.helpers import marker_responder, pairwise_rows, write_jsonl

runner = CliRunner()

PASSWORD = "Pw0rd-in-the-url"
QUERY_KEY = "Qk3y-in-the-query"
SECRETS = (PASSWORD, QUERY_KEY)


def run(*args: str, output: list[str]) -> Any:
    result = runner.invoke(app, list(args))
    output.extend([result.stdout, result.stderr])
    return result


def with_credentials(url: str) -> str:
    """`http://127.0.0.1:PORT/v1` -> the same URL with a user and password in it."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://judge-user:{PASSWORD}@{rest}"


def assert_nowhere(folder: Path, output: list[str]) -> int:
    """No secret in any file under `folder` nor in any captured output; returns files searched."""
    searched = 0
    for path in folder.rglob("*"):
        if path.is_file():
            searched += 1
            data = path.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in data, f"{secret} in {path}"
    for text in output:
        for secret in SECRETS:
            assert secret not in text, f"{secret} in the output:\n{text}"
    return searched


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://user:pass@host/v1", "http://***@host/v1"),
        ("https://token@host:8443/v1", "https://***@host:8443/v1"),
        ("https://h/v1?api_key=k&api-version=2&sig=s#top", "https://h/v1?api_key=***&api-version=2&sig=***#top"),
        (
            "https://h/v1?access_token=t&key=k&X-Amz-Signature=s",
            "https://h/v1?access_token=***&key=***&X-Amz-Signature=***",
        ),
        ("http://host:8000/v1@4", "http://host:8000/v1@4"),
        ("http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected
    assert redact(f"cannot connect to {url}.") == f"cannot connect to {expected}."


def test_redact_data_reaches_every_string() -> None:
    data = {"endpoint": "http://u:p@h/v1", "list": ["x", {"deep": "see https://h/?token=abc"}], "n": 3}
    assert redact_data(data) == {
        "endpoint": "http://***@h/v1",
        "list": ["x", {"deep": "see https://h/?token=***"}],
        "n": 3,
    }


def test_a_base_url_with_credentials_leaves_no_trace_in_files_or_output(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = fake_provider(marker_responder)
    monkeypatch.setenv("OPENAI_BASE_URL", with_credentials(server.openai_url))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-credentials-0123456789")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step-summary.md"))
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(6))
    output: list[str] = []
    reports = ["--html", str(tmp_path / "r.html"), "--junit", str(tmp_path / "j.xml"), "--markdown", "m.md"]
    result = run(
        "eval",
        str(data),
        "-j",
        "openai/x",
        "-o",
        "run",
        *reports,
        "--min-win-rate",
        "0.1",
        "--min-items",
        "1",
        output=output,
    )
    assert result.exit_code == 0, result.output
    assert server.count() == 6, "the run went through the URL with credentials"
    assert run("eval", str(data), "-j", "openai/x", "-o", "run", "--format", "json", output=output).exit_code == 0
    assert run("report", "run", "--html", str(tmp_path / "again.html"), output=output).exit_code == 0
    assert (
        run("gate", "run", "--min-win-rate", "0.1", "--junit", "j2.xml", "--min-items", "1", output=output).exit_code
        == 0
    )
    compare = run("compare", str(data), "-j", "openai/x", "-o", "cmp", "--format", "json", output=output)
    assert compare.exit_code == 0, compare.output
    # The endpoint is still recorded, without its credentials.
    manifest = json.loads(Path("run/run.json").read_text())
    assert manifest["endpoint"] == redact(server.openai_url.replace("://", "://***@"))
    assert "***@127.0.0.1" in manifest["resolved"]["endpoint"]
    assert assert_nowhere(tmp_path, output) >= 10


def test_a_failing_url_with_credentials_is_named_without_them(tmp_path: Path) -> None:
    url = f"http://judge-user:{PASSWORD}@127.0.0.1:{free_port()}/v1?api_key={QUERY_KEY}"
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(3))
    output: list[str] = []
    result = run(
        "eval", str(data), "-j", "openai/x", "--base-url", url, "--max-retries", "0", "-o", "run", output=output
    )
    assert result.exit_code == 3
    assert "http://***@127.0.0.1:" in result.stderr and "api_key=***" in result.stderr
    assert assert_nowhere(tmp_path, output) >= 4


def test_resume_asks_again_for_a_base_url_whose_credentials_were_not_kept(
    fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server = fake_provider(marker_responder)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-credentials-0123456789")
    url = with_credentials(server.openai_url)
    data = write_jsonl(tmp_path / "d.jsonl", pairwise_rows(6))
    output: list[str] = []
    assert (
        run("eval", str(data), "-j", "openai/x", "--base-url", url, "-n", "3", "-o", "run", output=output).exit_code
        == 0
    )
    refused = run("eval", "--resume", "run", output=output)
    assert refused.exit_code == 2 and "give the URL again with --base-url" in refused.stderr
    grown = run("eval", "--resume", "run", "--base-url", url, "-n", "6", "--format", "json", output=output)
    assert grown.exit_code == 0, grown.output
    assert json.loads(grown.stdout)["counts"]["items"] == 6 and server.count() == 6
    assert os.environ.get("OPENAI_BASE_URL") is None
    assert assert_nowhere(tmp_path, output) >= 4
