"""Structured verdicts on the local judge: a JSON schema held by a llama.cpp grammar.

llama-cpp-python's own `create_chat_completion(response_format={"type": "json_object",
"schema": ...})` turns a schema into a GBNF grammar with `json_schema_to_gbnf` and lets
llama.cpp's grammar sampler filter the candidates of every step. The local backend runs its
own decoding loop (it reads the last position's logits only), so it does the same two steps
itself: `grammar_sampler` builds the sampler for a schema, `constrain` sets the logit of every
token the grammar forbids at this point to minus infinity before a token is chosen, and the
caller tells the sampler which token was taken (`llama_sampler_accept`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from judgekit.errors import ProviderError


def grammar_sampler(vocab: Any, schema: dict[str, Any], converted: dict[str, bytes]) -> Any:
    """A new grammar sampler for `schema` (GBNF texts are kept in `converted`, one per schema).

    The caller frees it with `llama_cpp.llama_sampler_free` (`grammar_for` does).
    """
    import llama_cpp
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    key = json.dumps(schema, sort_keys=True)
    text = converted.get(key)
    if text is None:
        text = converted[key] = json_schema_to_gbnf(json.dumps(schema)).encode("utf-8")
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, text, b"root")
    if not sampler:
        raise ProviderError(
            "llama.cpp could not build a grammar from the verdict's schema", kind="bad_request", retryable=False
        )
    return sampler


@contextmanager
def grammar_for(vocab: Any, schema: dict[str, Any] | None, converted: dict[str, bytes]) -> Iterator[Any]:
    """A grammar sampler for one answer (None without a schema), freed when the answer is done."""
    if schema is None:
        yield None
        return
    import llama_cpp

    sampler = grammar_sampler(vocab, schema, converted)
    try:
        yield sampler
    finally:
        llama_cpp.llama_sampler_free(sampler)


def candidate_array(n_vocab: int) -> Any:
    """The candidate buffer `constrain` fills (made once per model: it holds the whole vocabulary)."""
    from llama_cpp._internals import LlamaTokenDataArray

    return LlamaTokenDataArray(n_vocab=n_vocab)


def constrain(grammar: Any, logits: Any, candidates: Any) -> Any:
    """A float64 copy of `logits` in which every token the grammar forbids now is minus infinity."""
    import ctypes

    import llama_cpp
    import numpy as np

    candidates.copy_logits(logits)
    llama_cpp.llama_sampler_apply(grammar, ctypes.byref(candidates.candidates))
    size = int(candidates.candidates.size)
    masked = np.full(len(logits), -np.inf, dtype=np.float64)
    masked[candidates.candidates_data.id[:size]] = candidates.candidates_data.logit[:size]
    return masked
