"""The worker pool: every failure is collected, none is left for asyncio to complain about."""

from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from judgekit.judging.runner import run_items
from judgekit.schema import Item, Message


def _items(n: int) -> list[Item]:
    return [
        Item(id=str(index), line=index, turns=(Message(role="user", content="q"),), answer="a") for index in range(n)
    ]


def test_every_failed_worker_is_collected(caplog: pytest.LogCaptureFixture) -> None:
    async def job(item: Item) -> None:
        await asyncio.sleep(0)
        raise ValueError(f"broken {item.id}")

    with caplog.at_level(logging.ERROR, logger="asyncio"), pytest.raises(ValueError, match="broken"):
        asyncio.run(run_items(_items(6), job, workers=4))
    gc.collect()  # asyncio logs unretrieved task exceptions when the tasks are collected
    assert "never retrieved" not in caplog.text


def test_all_items_run_once() -> None:
    seen: list[str] = []

    async def job(item: Item) -> None:
        await asyncio.sleep(0)
        seen.append(item.id)

    asyncio.run(run_items(_items(25), job, workers=4))
    assert sorted(seen, key=int) == [str(index) for index in range(25)]
