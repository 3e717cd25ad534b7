"""What a judge backend is: a small structural protocol plus the options it is built with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from judgekit.schema import Completion, JudgeRequest


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; features that need a missing capability degrade visibly."""

    logprobs: bool = False
    """Returns token log-probabilities with top alternatives."""
    max_top_logprobs: int = 0
    n: bool = False
    """Returns several samples from one request."""
    seed: bool = False
    temperature: bool = True
    concurrent: bool = True
    """Can serve many requests at once (an in-process model serves one at a time)."""
    structured: bool = False
    """Can hold an answer to a JSON schema (a structured verdict): response_format, a forced tool
    call or a grammar. Without it a structured template's answers are read by its pattern."""
    reasoning_effort: bool = False
    """Takes OpenAI's `reasoning_effort` (o-series and gpt-5 models)."""
    thinking: bool = False
    """Takes a thinking budget (Anthropic's extended thinking, Gemini's thinking_config)."""
    thinking_minimum: int = 1024
    """The smallest thinking budget the provider takes (Anthropic's is 1,024 tokens)."""
    thinking_temperature: bool = False
    """Takes a temperature beside a thinking budget (Gemini); Anthropic takes only its default."""
    scripted: bool = False
    """Answers what it was told to, not what a model wrote (the mock judge): a run of deliberately
    unparseable answers is a dry run of the unscored path, not a mismatch to stop early for."""


@dataclass(frozen=True)
class BackendOptions:
    """Settings shared by every backend; provider keys are never stored here."""

    timeout: float = 60.0
    """Seconds allowed for one request."""
    base_url: str | None = None
    """Overrides the provider's base URL variable (OPENAI_BASE_URL, ANTHROPIC_BASE_URL)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Provider-specific settings (e.g. threads for the local backend)."""


@runtime_checkable
class Backend(Protocol):
    """Sends one rendered judge request to a provider and returns the raw completion.

    `complete` raises `judgekit.errors.ProviderError` (with a failure kind and retry hint) for
    any failure; the runner decides about retries, so SDK-level retries are switched off.
    A backend may also offer `check_model(model)`, called before a run starts, to reject a
    model name it can vet without a request (the mock backend's behaviours, say).
    """

    provider: str
    capabilities: Capabilities

    @property
    def endpoint(self) -> str:
        """Where requests go (a base URL or a model path); part of the cache key, never a secret."""
        ...

    async def complete(self, request: JudgeRequest) -> Completion: ...

    async def aclose(self) -> None: ...


# -- optional capabilities: a backend offers them by having the method; callers check with isinstance
@runtime_checkable
class ChecksModels(Protocol):
    """Can reject a model name offline, before a run starts (the mock's behaviours, say)."""

    def check_model(self, model: str) -> None: ...


@runtime_checkable
class CapabilitiesPerModel(Protocol):
    """Can do more with some models than with others (Bedrock hosts many model families)."""

    def capabilities_for(self, model: str) -> Capabilities: ...


def capabilities_of(backend: Backend, model: str) -> Capabilities:
    """What `backend` can do with `model`: per model where it says so, else its one set."""
    return backend.capabilities_for(model) if isinstance(backend, CapabilitiesPerModel) else backend.capabilities


@runtime_checkable
class ReportsRuntime(Protocol):
    """An in-process model that reports its load time and tokens/s for the summary."""

    def runtime(self) -> dict[str, float]: ...


@runtime_checkable
class ReportsEndpoints(Protocol):
    """Spreads calls over several endpoints and can say how they were shared (one stderr line)."""

    def report(self) -> str: ...


@runtime_checkable
class BuildsRequestBodies(Protocol):
    """Talks to one server and can render a request as the provider's JSON body (for batch files)."""

    def request_body(self, request: JudgeRequest) -> dict[str, Any]: ...


@runtime_checkable
class HasTimeout(Protocol):
    """Knows the per-request timeout it was made with."""

    @property
    def timeout(self) -> float: ...
