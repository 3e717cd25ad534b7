"""Several servers answering for one judge (self-hosted replicas), used as one backend.

`--base-url` given more than once builds an `EndpointPool`: one backend of the judge's
provider per URL, each call sent to the replica with the fewest requests in flight (relative to
its own limit; ties go round the replicas in turn). `URL@N` caps one replica at N requests in
flight, `--endpoint-concurrency N` caps every replica without its own cap; `--concurrency`
still caps the total. A replica that drops connections, times out or answers 5xx sits out a
few seconds while the runner retries the call elsewhere; one that refuses the key or does not
serve the model is taken out of the pool (the run stops only when no replica is left). The pool
can do with a model what one replica can (`capabilities_for`): per-model capabilities pass through.

Cache identity: replicas of one judge are one endpoint. The pool's `endpoint`, which goes into
the cache key and the run id, is the FIRST URL listed, whichever replica answers. So adding,
removing or reordering the other replicas keeps the cache and the run directory; a run with
only the first URL shares them too. List URLs first that name the same deployment.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from typing import Any

from judgekit.backends.base import Backend, BackendOptions, Capabilities, capabilities_of
from judgekit.errors import FatalProviderError, ProviderError, UsageError
from judgekit.redact import redact
from judgekit.schema import Completion, JudgeRequest

COOLDOWN_S = 5.0
"""Seconds a replica that failed at the transport or server level is passed over."""
COOLING_KINDS = ("connection", "timeout", "server_error")


def parse_endpoint(text: str) -> tuple[str, int | None]:
    """`URL` or `URL@N` (N requests in flight at most) -> (URL, N or None)."""
    url, separator, tail = text.strip().rpartition("@")
    if separator and tail.isdigit() and "://" in url:
        if int(tail) < 1:
            raise UsageError(f"--base-url {text!r}: the concurrency after '@' must be at least 1")
        return url, int(tail)
    return text.strip(), None


def endpoint_settings(urls: list[str] | None) -> dict[str, Any]:
    """`base_url` and `endpoints` of a run's configuration from repeated --base-url values: one
    plain URL is a base URL; several (or one with @N) are a pool whose first URL names it."""
    if not urls:
        return {"base_url": None, "endpoints": []}
    first, cap = parse_endpoint(urls[0])
    return {"base_url": first, "endpoints": list(urls) if len(urls) > 1 or cap else []}


@dataclass
class Replica:
    url: str
    backend: Backend
    limit: int | None
    in_flight: int = 0
    answered: int = 0
    failed: int = 0
    cooling_until: float = 0.0
    removed: str | None = None
    """Why the replica was taken out of the pool, if it was."""


class EndpointPool:
    """A backend that spreads calls over replicas of the same judge."""

    def __init__(self, replicas: list[Replica], total: int) -> None:
        if not replicas:
            raise UsageError("an endpoint pool needs at least one base URL")
        self.replicas = replicas
        first = replicas[0].backend
        self.provider = first.provider
        self.capabilities: Capabilities = first.capabilities
        self._identity = first.endpoint
        self._total = max(1, total)
        self._turn = 0
        self._changed: asyncio.Condition | None = None

    @property
    def endpoint(self) -> str:
        """The first replica's endpoint: the cache and run identity of every replica."""
        return self._identity

    def capabilities_for(self, model: str) -> Capabilities:
        """What the replicas can do with `model`: replicas serve one judge, so the first one says
        (a Bedrock pool can force a verdict tool for Claude as one Bedrock judge can)."""
        return capabilities_of(self.replicas[0].backend, model)

    async def complete(self, request: JudgeRequest) -> Completion:
        while True:
            replica = await self._acquire()
            try:
                completion = await replica.backend.complete(request)
            except FatalProviderError as exc:
                replica.failed += 1
                if not self._remove(replica, str(exc)):
                    raise
                continue  # another replica may serve it
            except ProviderError as exc:
                replica.failed += 1
                if exc.kind in COOLING_KINDS:
                    replica.cooling_until = time.monotonic() + COOLDOWN_S
                raise
            finally:
                await self._release(replica)
            replica.answered += 1
            return completion

    async def aclose(self) -> None:
        for replica in self.replicas:
            await replica.backend.aclose()

    def report(self) -> str:
        """One line for stderr: what each replica answered."""
        parts = []
        for replica in self.replicas:
            failed = f", {replica.failed} failed" if replica.failed else ""
            removed = " (taken out)" if replica.removed else ""
            parts.append(f"{replica.url}: {replica.answered} answered{failed}{removed}")
        return "endpoints: " + "; ".join(parts)

    # -- choosing a replica ---------------------------------------------------------------
    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _pick(self) -> Replica | None:
        now = time.monotonic()
        count = len(self.replicas)
        free = [
            (index, replica)
            for index, replica in enumerate(self.replicas)
            if replica.removed is None and (replica.limit is None or replica.in_flight < replica.limit)
        ]
        if not free:
            return None

        def load(entry: tuple[int, Replica]) -> tuple[bool, float, int]:
            index, replica = entry
            capacity = replica.limit or self._total
            return (replica.cooling_until > now, replica.in_flight / capacity, (index - self._turn) % count)

        index, replica = min(free, key=load)
        self._turn = (index + 1) % count
        return replica

    async def _acquire(self) -> Replica:
        changed = self._condition()
        async with changed:
            while True:
                if all(replica.removed for replica in self.replicas):
                    raise FatalProviderError(
                        "every endpoint was taken out of the pool: " + "; ".join(str(r.removed) for r in self.replicas),
                        kind="auth",
                    )
                replica = self._pick()
                if replica is not None:
                    replica.in_flight += 1
                    return replica
                await changed.wait()

    async def _release(self, replica: Replica) -> None:
        changed = self._condition()
        async with changed:
            replica.in_flight -= 1
            changed.notify_all()

    def _remove(self, replica: Replica, reason: str) -> bool:
        """Take a replica out; False when it was the last one (the error then stops the run)."""
        others = [other for other in self.replicas if other is not replica and other.removed is None]
        if not others:
            return False
        replica.removed = reason
        print(f"judgekit: warning: {redact(replica.url)} taken out of the pool: {reason}", file=sys.stderr)
        return True


def create_pool(
    provider: str,
    endpoints: list[str],
    options: BackendOptions,
    *,
    endpoint_concurrency: int | None,
    total_concurrency: int,
) -> EndpointPool:
    """One backend per URL (`URL` or `URL@N`), balanced as one judge."""
    from judgekit.backends.registry import create_backend

    replicas = []
    seen: set[str] = set()
    for text in endpoints:
        url, limit = parse_endpoint(text)
        if url.rstrip("/") in seen:
            raise UsageError(f"--base-url {url} is given twice")
        seen.add(url.rstrip("/"))
        backend = create_backend(provider, BackendOptions(timeout=options.timeout, base_url=url, extra=options.extra))
        replicas.append(Replica(url=url.rstrip("/"), backend=backend, limit=limit or endpoint_concurrency))
    if all(replica.limit for replica in replicas):
        slots = sum(replica.limit or 0 for replica in replicas)
        if slots > total_concurrency:
            print(
                f"judgekit: warning: --concurrency {total_concurrency} caps the total below the endpoints' "
                f"{slots} slots; raise it to use them all",
                file=sys.stderr,
            )
    return EndpointPool(replicas, total_concurrency)
