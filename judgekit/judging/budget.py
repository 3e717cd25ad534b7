"""`--max-cost`: a run directory's spending, and the worst case of the requests in flight.

The budget covers the run directory, not one invocation: what earlier invocations spent is read
back from the rows they wrote (each records what its answer was charged, see `pricing.py`), so
running the same command again with the same `--max-cost` does not spend the budget twice.

Before a request is sent, its worst case (every output token, a generous prompt estimate) is
reserved. A request that would not fit beside the settled spending and the reservations of the
requests in flight waits for those to settle (an answer usually costs far less than its worst
case) and is checked again; the run stops only when nothing is in flight and the settled
spending leaves no room for the request's worst case. The stop message is therefore written
from final figures: nothing is in flight, and nothing is spent after it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from judgekit.errors import JudgekitError
from judgekit.judging.pricing import Prices, completion_cost, format_usd, spent, worst_cost
from judgekit.schema import Completion, JudgeRequest, Judgment

ROUNDING = 1e-12
"""Slack for floating-point sums, so a budget met exactly is not refused."""


class BudgetReached(JudgekitError):
    """Raised when --max-calls or --max-cost is used up; the run stops cleanly and can be resumed."""


class Spending:
    """What a run directory has spent, and what its requests in flight could still cost."""

    def __init__(self, prices: Prices | None, limit: float | None, earlier: Iterable[Judgment] = ()) -> None:
        self.prices = prices
        self.limit = limit
        self.before = spent(earlier, prices).charged if prices is not None else 0.0
        """Charged for the rows earlier invocations left in the run directory."""
        self.session = 0.0
        """Charged for the answers this invocation received."""
        self.reserved = 0.0
        """Worst-case cost of the requests in flight."""
        self.in_flight = 0
        self._stopped: str | None = None
        self._settled: asyncio.Event | None = None

    @property
    def total(self) -> float:
        """Settled spending of the run directory (earlier invocations and this one)."""
        return self.before + self.session

    async def reserve(self, request: JudgeRequest) -> float:
        """Hold a request's worst case before it is sent; raises BudgetReached when it cannot fit."""
        if self.prices is None:
            return 0.0
        worst = worst_cost(self.prices, request)
        limit = self.limit
        while limit is not None:
            if self._stopped is not None:
                raise BudgetReached(self._stopped)
            if self.total + self.reserved + worst <= limit + ROUNDING:
                break
            if self.in_flight == 0:
                self._stopped = (
                    f"stopped at {format_usd(self.total)} spent in this run directory: the next request could "
                    f"cost up to {format_usd(worst)}, over --max-cost ${limit:g}"
                )
                self._wake()
                raise BudgetReached(self._stopped)
            # Requests in flight hold their worst case; wait for one to settle and look again.
            if self._settled is None:
                self._settled = asyncio.Event()
            await self._settled.wait()
        self.reserved += worst
        self.in_flight += 1
        return worst

    def settle(self, reserved: float, request: JudgeRequest, completion: Completion | None) -> float | None:
        """A request came back: release its reservation and count what its answer cost (None: no price)."""
        cost = None
        if self.prices is not None:
            self.reserved = max(0.0, self.reserved - reserved)
            self.in_flight -= 1
            if completion is not None:
                cost = completion_cost(self.prices, request, completion)
                self.session += cost
        self._wake()
        return cost

    def _wake(self) -> None:
        if self._settled is not None:
            self._settled.set()
            self._settled = None
