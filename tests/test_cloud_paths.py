"""The cloud judges on the other run paths: a panel of Gemini, Bedrock and Vertex AI judges (one fake
server speaks all three dialects), `compare`, and `--resume` answering from the run directory."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from judgekit.testing.server import FakeProvider
from tests.cloud_helpers import point_clouds_at
from tests.gate_helpers import cli

DATA = Path(__file__).resolve().parents[1] / "datasets" / "demo" / "pointwise.jsonl"
JUDGES = ("gemini/gemini-2.5-flash", "bedrock/amazon.nova-lite-v1:0", "vertex/claude-haiku-4-5@20251001")


@pytest.fixture
def clouds(fake_provider: Callable[..., FakeProvider], monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    server = fake_provider(
        lambda request: f"Fine.\nRating: [[{ {'gemini': 6, 'bedrock': 7, 'vertex': 8}[request.api] }]]"
    )
    return point_clouds_at(server, monkeypatch)


def test_a_panel_of_three_cloud_judges(clouds: FakeProvider) -> None:
    args = [arg for judge in JUDGES for arg in ("-j", judge)]
    result = cli("eval", str(DATA), *args, "--limit", "4", "-q", "--format", "json", "--out", "panel")
    assert result.exit_code == 0, result.output
    assert sorted({entry.request.api for entry in clouds.recorded}) == ["bedrock", "gemini", "vertex"]
    assert len(clouds.recorded) == 12  # four items, three judges, one call each


def test_compare_and_resume_with_a_cloud_judge(clouds: FakeProvider) -> None:
    compared = cli("compare", str(DATA), "-j", JUDGES[0], "-j", JUDGES[1], "--limit", "3", "-q", "--format", "json")
    assert compared.exit_code == 0, compared.output
    assert len(clouds.recorded) == 6
    first = cli("eval", str(DATA), "-j", JUDGES[2], "--limit", "3", "-q", "--out", "run", "--format", "json")
    assert first.exit_code == 0, first.output
    clouds.reset_records()
    again = cli("eval", "--resume", "run", "-q", "--format", "json")
    assert again.exit_code == 0, again.output
    assert clouds.recorded == []  # every item was already judged
    assert json.loads(again.stdout)["pointwise"]["mean"]["value"] == 8


@pytest.mark.parametrize("provider", ["gemini", "bedrock", "vertex"])
@pytest.mark.parametrize(("fault", "kind"), [("stall", "timeout"), ("reset", "connection"), ("html", "malformed")])
def test_timeouts_dropped_connections_and_html_pages_are_retryable(
    clouds: FakeProvider, provider: str, fault: str, kind: str
) -> None:
    import asyncio

    from judgekit.backends.base import BackendOptions
    from judgekit.backends.registry import create_backend
    from judgekit.errors import ProviderError
    from judgekit.schema import JudgeRequest, Message, SamplingParams
    from judgekit.testing.server import Faults

    clouds.faults = Faults(script=[fault], stall_seconds=1.5)
    model = next(judge for judge in JUDGES if judge.startswith(provider)).partition("/")[2]
    request = JudgeRequest(model=model, messages=(Message(role="user", content="Rate."),), params=SamplingParams())

    async def go() -> None:
        backend = create_backend(provider, BackendOptions(timeout=0.5))
        try:
            await backend.complete(request)
        finally:
            await backend.aclose()

    with pytest.raises(ProviderError) as caught:
        asyncio.run(go())
    assert caught.value.kind == kind and caught.value.retryable
