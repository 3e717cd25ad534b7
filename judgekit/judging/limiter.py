"""How many requests may be in flight at once: a fixed limit, or one that adapts to 429s.

The adaptive limit follows additive-increase / multiplicative-decrease (the rule TCP uses
for its congestion window): a rate-limited answer halves the limit, and each successful
answer raises it by 1/limit, so it grows by about one per round of requests until the next
429 or the ceiling (`--concurrency`). Several 429s from requests that were already in flight
when the limit was cut count as one signal, so one burst does not collapse the limit to 1.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class InFlightLimit:
    """An async context manager that admits at most `limit` holders at a time.

    Entering returns a ticket (the number of decreases so far) that `on_rate_limit` takes
    back, which is how a 429 from before the latest decrease is recognised.
    """

    def __init__(self, ceiling: int, *, adaptive: bool = False, floor: int = 1) -> None:
        if ceiling < 1:
            raise ValueError("the concurrency ceiling must be at least 1")
        self.ceiling = ceiling
        self.floor = max(1, min(floor, ceiling))
        self.adaptive = adaptive
        self.limit = float(ceiling)
        self.lowest = ceiling
        """The lowest whole limit reached (for the run's report)."""
        self.decreases = 0
        self.in_flight = 0
        self._condition: asyncio.Condition | None = None

    @property
    def current(self) -> int:
        """Requests allowed in flight now."""
        return max(self.floor, int(self.limit))

    def _cond(self) -> asyncio.Condition:
        # Created on first use, inside the running loop.
        if self._condition is None:
            self._condition = asyncio.Condition()
        return self._condition

    async def __aenter__(self) -> int:
        condition = self._cond()
        async with condition:
            await condition.wait_for(lambda: self.in_flight < self.current)
            self.in_flight += 1
            return self.decreases

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        condition = self._cond()
        async with condition:
            self.in_flight -= 1
            # Wake only as many waiters as there are free slots (a raised limit may free two),
            # not all of them: with hundreds waiting, waking everyone on every answer is costly.
            condition.notify(max(0, self.current - self.in_flight))

    def on_success(self) -> None:
        """An answer arrived: widen the limit a little (adaptive only)."""
        if self.adaptive and self.limit < self.ceiling:
            self.limit = min(float(self.ceiling), self.limit + 1.0 / self.limit)

    def on_rate_limit(self, ticket: int) -> None:
        """A 429 for a request admitted with `ticket`: halve the limit, once per burst."""
        if not self.adaptive or ticket != self.decreases:
            return
        self.decreases += 1
        self.limit = max(float(self.floor), self.limit / 2)
        self.lowest = min(self.lowest, self.current)
