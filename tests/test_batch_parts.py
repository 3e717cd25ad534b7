"""The pieces under `judgekit eval --batch`: cost arithmetic, stored options, the fake batch service."""

from __future__ import annotations

import json

import anthropic
import openai
import pytest

from judgekit.batch.cost import Estimate, cost, input_tokens
from judgekit.batch.driver import BatchOptions
from judgekit.judging.pricing import Prices, builtin_prices
from judgekit.schema import JudgeRequest, Message, SamplingParams
from judgekit.testing.batches import BatchBehaviour
from judgekit.testing.server import FakeProvider


def test_batch_estimates_use_the_shared_price_table() -> None:
    table = builtin_prices("openai/gpt-4o-mini")
    assert table is not None and table == builtin_prices("openai/gpt-4o-mini-2024-07-18")
    assert (table.input, table.output) == (0.15, 0.60)
    assert builtin_prices("anthropic/claude-haiku-4-5-20251001").output == 5.00  # type: ignore[union-attr]
    assert builtin_prices("openai/llama3:8b") is None


def test_token_estimate_and_cost_arithmetic() -> None:
    request = JudgeRequest(
        model="m",
        messages=(Message(role="system", content="s" * 400), Message(role="user", content="u" * 204)),
        params=SamplingParams(max_tokens=300, n=2),
    )
    assert input_tokens(request) == 604 // 4 + 2 * 4  # 4 characters a token, 4 tokens per message
    estimate = Estimate()
    estimate.add(request)
    estimate.add(request)
    assert (estimate.requests, estimate.input_tokens, estimate.max_output_tokens) == (2, 2 * 159, 2 * 600)
    price = Prices(2.0, 8.0, "test")
    # One million tokens each way: $2 + $8 at list price, half of it in a batch.
    assert cost(price, 1_000_000, 1_000_000, batch=False).total == pytest.approx(10.0)
    assert cost(price, 1_000_000, 1_000_000, batch=True).total == pytest.approx(5.0)
    assert estimate.as_dict(price)["input_usd"] == pytest.approx(318 * 2 / 1e6 / 2)


def test_batch_options_survive_the_state_file() -> None:
    options = BatchOptions(
        poll_interval=5, retry="interactive", retry_rounds=4, max_requests=10, price=Prices(1.0, 2.0, "test")
    )
    stored = json.loads(json.dumps(options.stored()))
    again = BatchOptions.from_stored(stored, wait=False, retry=None)
    assert (again.poll_interval, again.retry, again.retry_rounds, again.max_requests) == (5, "interactive", 4, 10)
    assert again.price is not None and (again.price.input, again.price.output) == (1, 2) and again.wait is False


def _line(custom_id: str, model: str = "m") -> str:
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body})


def test_fake_openai_batches_validate_like_the_service() -> None:
    with FakeProvider(batches=BatchBehaviour(max_requests=2)) as server:
        client = openai.OpenAI(api_key="k", base_url=server.openai_url, max_retries=0)
        with pytest.raises(openai.BadRequestError, match=r"Must be \.jsonl"):
            client.files.create(file=("input.txt", b"{}"), purpose="batch")

        def failure(lines: list[str]) -> str | None:
            uploaded = client.files.create(file=("in.jsonl", "\n".join(lines).encode()), purpose="batch")
            batch = client.batches.create(
                input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
            )
            return (
                batch.errors.data[0].code if batch.status == "failed" and batch.errors and batch.errors.data else None
            )

        assert failure([_line("a"), _line("a")]) == "duplicate_custom_id"
        assert failure([_line("a"), _line("b", model="other")]) == "model_mismatch"
        assert failure([_line("a"), _line("b"), _line("c")]) == "too_many_tasks"
        assert failure(["not json"]) == "invalid_json_line"
        assert failure([_line("a"), _line("b")]) is None
        with pytest.raises(openai.NotFoundError):
            client.batches.retrieve("batch_missing")


def test_fake_message_batches_validate_and_report_like_the_service() -> None:
    with FakeProvider(batches=BatchBehaviour(hold=True)) as server:
        client = anthropic.Anthropic(api_key="k", base_url=server.anthropic_url, max_retries=0)
        params = {"model": "c", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
        with pytest.raises(anthropic.BadRequestError, match="custom_id"):
            client.messages.batches.create(requests=[{"custom_id": "not valid!", "params": params}])  # type: ignore[list-item]
        batch = client.messages.batches.create(requests=[{"custom_id": f"r{i}", "params": params} for i in range(3)])  # type: ignore[misc]
        batch = client.messages.batches.retrieve(batch.id)
        assert batch.processing_status == "in_progress" and batch.request_counts.processing == 3
        assert batch.results_url is None
        client.messages.batches.cancel(batch.id)
        batch = client.messages.batches.retrieve(batch.id)
        assert batch.processing_status == "ended" and batch.request_counts.canceled == 3
        assert {entry.result.type for entry in client.messages.batches.results(batch.id)} == {"canceled"}
        assert server.count() == 0  # nothing was answered
