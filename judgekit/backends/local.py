"""`local/<model>`: a GGUF model run in-process by llama.cpp (through llama-cpp-python).

`<model>` is a path to a `.gguf` file or a model judgekit knows by name (see
`judgekit.backends.local_models`). No server and no API key: the model is loaded once per run, on the
first call, and every request of the run goes through that one instance, one at a time, in a
worker thread (a second copy of a 1 GB model would only compete for the same cores), so the
event loop, the progress display and Ctrl-C stay responsive.

How one request is answered:

- the chat messages are rendered with the chat template stored in the GGUF file, exactly as
  the model was trained to read them;
- the prompt tokens that the previous request already put in the model's KV cache are kept
  (two orders of one pair, or the template's fixed preamble, share a long prefix), and only
  the rest is evaluated;
- tokens are then generated one at a time from the logits of the last position only, up to
  `max_tokens`: the arg-max at temperature 0, a seeded draw otherwise;
- a structured verdict (a JSON schema on the request) is held to a grammar: llama-cpp-python
  turns the schema into GBNF (`json_schema_to_gbnf`, what its own `response_format` with a
  schema does) and llama.cpp's grammar sampler masks every token that would break it before
  the token is chosen, so the answer is JSON of that shape unless `max_tokens` cuts it off;
- when log-probabilities are requested, the top alternatives of every generated token come
  from those same logits, in the OpenAI `top_logprobs` shape, so probability-weighted scores
  and swap-averaged pairwise verdicts work as with an API that returns logprobs.

The per-request `--timeout` does not apply: a local call is bounded by `max_tokens`.
Settings: threads (default: the number of physical cores) from `BackendOptions.extra
["threads"]` or JUDGEKIT_THREADS; context length from JUDGEKIT_LOCAL_CONTEXT (default 8192,
at most the model's own).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from judgekit.backends.base import BackendOptions, Capabilities
from judgekit.backends.cpu import physical_cores
from judgekit.backends.grammar import candidate_array, constrain, grammar_for
from judgekit.backends.local_models import ResolvedModel, resolve
from judgekit.errors import FatalProviderError, MissingDependencyError, ProviderError, UsageError
from judgekit.schema import Completion, JudgeRequest, Message, TokenLogprob

DEFAULT_CONTEXT = 8192
DEFAULT_TOP_LOGPROBS = 20


class Cancelled(Exception):
    """The request was abandoned (Ctrl-C, or the run is closing); generation stopped early."""


@dataclass
class RuntimeStats:
    """What the model cost this run: load time and throughput, for the summary."""

    threads: int = 0
    load_s: float = 0.0
    prompt_tokens: int = 0
    """Prompt tokens evaluated (those already in the KV cache are not counted here)."""
    prompt_s: float = 0.0
    reused_tokens: int = 0
    """Prompt tokens taken from the KV cache of the previous request."""
    generated_tokens: int = 0
    generation_s: float = 0.0

    def as_timing(self) -> dict[str, float]:
        timing = {"model_load_s": round(self.load_s, 3), "threads": float(self.threads)}
        if self.prompt_s > 0:
            timing["prompt_tokens_per_s"] = round(self.prompt_tokens / self.prompt_s, 2)
        if self.generation_s > 0:
            timing["generated_tokens_per_s"] = round(self.generated_tokens / self.generation_s, 2)
        timing["prompt_tokens_evaluated"] = float(self.prompt_tokens)
        timing["prompt_tokens_reused"] = float(self.reused_tokens)
        timing["generated_tokens"] = float(self.generated_tokens)
        return timing


class LlamaEngine:
    """One loaded model and its KV cache; every method runs in the backend's worker thread."""

    def __init__(self, model: ResolvedModel, threads: int, context: int) -> None:
        self.model = model
        self.threads = threads
        self.context = context
        self.stats = RuntimeStats(threads=threads)
        self._llm: Any = None
        self._formatter: Any = None
        self._vocab: Any = None
        self._piece_cache: dict[int, str] = {}
        self._grammars: dict[str, bytes] = {}
        """GBNF text per JSON schema (converted once per run)."""
        self._candidates: Any = None

    # -- loading ----------------------------------------------------------------------------
    def load(self) -> None:
        if self._llm is not None:
            return
        import llama_cpp
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self.model.header.chat_template
        if not template:
            raise FatalProviderError(
                f"{self.model.path} carries no chat template (tokenizer.chat_template); use an instruction-tuned GGUF",
                kind="bad_request",
            )
        trained = self.model.header.context_length or self.context
        started = time.perf_counter()
        try:
            llm = llama_cpp.Llama(
                model_path=str(self.model.path),
                n_ctx=min(self.context, trained),
                n_threads=self.threads,
                n_threads_batch=self.threads,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise FatalProviderError(f"llama.cpp could not load {self.model.path}: {exc}", kind="other") from None
        self.stats.load_s = time.perf_counter() - started
        eos = llm.token_eos()
        bos = llm.token_bos()
        self._formatter = Jinja2ChatFormatter(
            template=template,
            eos_token=llm.detokenize([eos], special=True).decode("utf-8", "replace") if eos >= 0 else "",
            bos_token=llm.detokenize([bos], special=True).decode("utf-8", "replace") if bos >= 0 else "",
            stop_token_ids=[eos],
        )
        self._vocab = llama_cpp.llama_model_get_vocab(llm.model)
        self._llm = llm

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None

    # -- one request ------------------------------------------------------------------------
    def prompt_tokens(self, messages: tuple[Message, ...]) -> list[int]:
        """The prompt as the model's chat template writes it, tokenized."""
        self.load()
        try:
            rendered = self._formatter(messages=[{"role": m.role, "content": m.content} for m in messages])
        except Exception as exc:  # the template's own raise_exception, or a Jinja error inside it
            raise FatalProviderError(
                f"the chat template of {self.model.path.name} rejected the messages: {exc}", kind="bad_request"
            ) from None
        tokens: list[int] = self._llm.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        return tokens

    def complete(self, request: JudgeRequest, stop: Callable[[], bool]) -> Completion:
        import numpy as np

        self.load()
        params = request.params
        prompt = self.prompt_tokens(request.messages)
        # llama.cpp may round the context up; the Python side keeps exactly what was asked for.
        context = min(self._llm.n_ctx(), len(self._llm.input_ids))
        room = context - len(prompt)
        if room < 1:
            raise ProviderError(
                f"the prompt has {len(prompt)} tokens but the local model's context holds {context} "
                "(raise JUDGEKIT_LOCAL_CONTEXT, or shorten the texts)",
                kind="bad_request",
                retryable=False,
            )
        max_tokens = min(params.max_tokens, room)
        rng = np.random.default_rng(params.seed)
        texts: list[str] = []
        logprobs: list[TokenLogprob] | None = None
        generated = 0
        finish = "stop"
        for sample in range(max(1, params.n)):
            with grammar_for(self._vocab, request.structured, self._grammars) as grammar:
                text, tokens, sample_logprobs, finish_reason = self._generate(
                    prompt, max_tokens, params, rng, stop, grammar
                )
            texts.append(text)
            generated += tokens
            if sample == 0:
                logprobs, finish = sample_logprobs, finish_reason
        return Completion(
            texts=texts,
            logprobs=logprobs if params.logprobs else None,
            prompt_tokens=len(prompt),
            completion_tokens=generated,
            model=f"local/{self.model.name}",
            finish_reason=finish,
        )

    def _generate(
        self,
        prompt: list[int],
        max_tokens: int,
        params: Any,
        rng: Any,
        stop: Callable[[], bool],
        grammar: Any = None,
    ) -> tuple[str, int, list[TokenLogprob] | None, str]:
        import llama_cpp
        import numpy as np

        from judgekit.backends.logits import PieceDecoder, choose, logprob_entry

        llm = self._llm
        started = time.perf_counter()
        reuse = self._reusable_prefix(prompt)
        llm.n_tokens = reuse  # eval() drops the KV cache beyond this point first
        try:
            # In batch-sized steps, so a long prompt can be abandoned between two of them.
            for start in range(reuse, len(prompt), llm.n_batch):
                if stop():
                    raise Cancelled()
                llm.eval(prompt[start : start + llm.n_batch])
        except (RuntimeError, ValueError) as exc:
            llm.n_tokens = 0
            raise ProviderError(f"llama.cpp failed on the prompt: {exc}", kind="other", retryable=False) from None
        prompt_done = time.perf_counter()
        self.stats.prompt_tokens += len(prompt) - reuse
        self.stats.reused_tokens += reuse
        self.stats.prompt_s += prompt_done - started

        want_logprobs = bool(params.logprobs)
        top_k = params.top_logprobs or DEFAULT_TOP_LOGPROBS
        n_vocab = llm.n_vocab()
        decoder = PieceDecoder()
        pieces: list[str] = []
        entries: list[TokenLogprob] = []
        generated: list[int] = []
        finish = "length"
        try:
            while len(generated) < max_tokens:
                if stop():
                    raise Cancelled()
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1), shape=(n_vocab,))
                if grammar is not None:
                    logits = self._constrain(grammar, logits)
                token = choose(logits, params.temperature, rng)
                if llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    finish = "stop"
                    break
                if grammar is not None:
                    llama_cpp.llama_sampler_accept(grammar, token)
                piece = decoder.feed(self._token_bytes(token))
                if want_logprobs:
                    entries.append(logprob_entry(logits, token, piece, top_k, self._token_text))
                pieces.append(piece)
                generated.append(token)
                if len(generated) < max_tokens:
                    llm.eval([token])
        except (RuntimeError, ValueError) as exc:
            llm.n_tokens = 0
            raise ProviderError(f"llama.cpp failed while generating: {exc}", kind="other", retryable=False) from None
        finally:
            self.stats.generated_tokens += len(generated)
            self.stats.generation_s += time.perf_counter() - prompt_done
        tail = decoder.flush()
        if tail:
            pieces.append(tail)
            if entries:
                last = entries[-1]
                entries[-1] = last.model_copy(update={"token": last.token + tail})
        return "".join(pieces), len(generated), entries if want_logprobs else None, finish

    def _constrain(self, grammar: Any, logits: Any) -> Any:
        if self._candidates is None:
            self._candidates = candidate_array(len(logits))
        return constrain(grammar, logits, self._candidates)

    def _reusable_prefix(self, prompt: list[int]) -> int:
        """How many leading prompt tokens are already in the KV cache (at least one is re-run for logits)."""
        import numpy as np

        llm = self._llm
        length = min(int(llm.n_tokens), len(prompt))
        differs = np.flatnonzero(np.asarray(llm.input_ids[:length]) != np.asarray(prompt[:length], dtype=np.intc))
        shared = int(differs[0]) if differs.size else length
        return min(shared, len(prompt) - 1)

    def _token_bytes(self, token: int) -> bytes:
        data: bytes = self._llm.detokenize([token])
        return data

    def _token_text(self, token: int) -> str:
        text = self._piece_cache.get(token)
        if text is None:
            text = self._token_bytes(token).decode("utf-8", "replace")
            self._piece_cache[token] = text
        return text


class LocalBackend:
    """The async face of `LlamaEngine`: one worker thread, so requests run one at a time."""

    provider = "local"

    def __init__(self, options: BackendOptions) -> None:
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise MissingDependencyError("llama-cpp-python", extra="local", purpose="local/ judges") from None
        self.capabilities = Capabilities(
            logprobs=True, max_top_logprobs=DEFAULT_TOP_LOGPROBS, n=True, seed=True, concurrent=False, structured=True
        )
        threads = options.extra.get("threads") or os.environ.get("JUDGEKIT_THREADS")
        self.threads: int = _positive_int(threads, "threads") or physical_cores()
        context = os.environ.get("JUDGEKIT_LOCAL_CONTEXT")
        self.context: int = _positive_int(context, "JUDGEKIT_LOCAL_CONTEXT") or DEFAULT_CONTEXT
        self._engines: dict[str, LlamaEngine] = {}
        self._default: str | None = options.extra.get("model")
        if self._default:
            self.engine(self._default)  # resolve (and verify) the model file now, before any call
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judgekit-llama")
        self._closing = threading.Event()

    @property
    def endpoint(self) -> str:
        if self._default:
            return f"llama.cpp:{self._engines[self._default].model.identity}"
        return "llama.cpp"

    def engine(self, model: str) -> LlamaEngine:
        """The engine of `model` (resolved and checked on first use; loaded on its first request)."""
        engine = self._engines.get(model)
        if engine is None:
            resolved = resolve(model)
            if not resolved.header.chat_template:
                raise UsageError(
                    f"{resolved.path} carries no chat template (tokenizer.chat_template): "
                    "local/ judges need an instruction-tuned GGUF model"
                )
            engine = LlamaEngine(resolved, self.threads, self.context)
            self._engines[model] = engine
        return engine

    async def complete(self, request: JudgeRequest) -> Completion:
        if self._closing.is_set():
            raise ProviderError("the local backend is closed", kind="other", retryable=False)
        try:
            engine = self.engine(request.model)
        except UsageError as exc:
            raise FatalProviderError(str(exc), kind="not_found") from None
        cancel = threading.Event()
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._run, engine, request, cancel)
        try:
            return await future
        except asyncio.CancelledError:
            cancel.set()  # the thread stops at its next token
            raise

    def _run(self, engine: LlamaEngine, request: JudgeRequest, cancel: threading.Event) -> Completion:
        if cancel.is_set() or self._closing.is_set():
            raise ProviderError("the request was cancelled", kind="other", retryable=False)
        try:
            return engine.complete(request, lambda: cancel.is_set() or self._closing.is_set())
        except Cancelled:
            raise ProviderError("the request was cancelled", kind="other", retryable=False) from None

    def runtime(self) -> dict[str, float]:
        """Load time and throughput of the model this run used (for the summary's timing)."""
        loaded = [engine for engine in self._engines.values() if engine.stats.load_s > 0]
        if not loaded:
            return {}
        return loaded[0].stats.as_timing()

    async def aclose(self) -> None:
        self._closing.set()
        await asyncio.get_running_loop().run_in_executor(None, self._shutdown)

    def _shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        for engine in self._engines.values():
            with contextlib.suppress(Exception):
                engine.close()


def _positive_int(value: object, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise UsageError(f"{name} must be a whole number, got {value!r}") from None
    if number < 1:
        raise UsageError(f"{name} must be at least 1, got {number}")
    return number


def create(options: BackendOptions) -> LocalBackend:
    return LocalBackend(options)
