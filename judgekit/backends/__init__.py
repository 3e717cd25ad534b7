"""Model backends: one small protocol, a registry of lazily imported providers.

    base.py          the `Backend` protocol and optional capabilities
    registry.py      provider name -> factory; the `judgekit.backends` entry-point group
    openai.py        OpenAI and every OpenAI-compatible server
    anthropic.py     Anthropic Messages
    local.py         GGUF models in-process through llama-cpp-python
    local_models.py  the embedded and known local models (prepare, verify)
    gguf.py          reading GGUF metadata without loading the model
    logits.py        verdict probabilities from last-position logits
    mock.py          offline mock judges (their numbers mean nothing)
    pool.py          several endpoints of one judge behind one backend
    failures.py      provider errors -> judgekit's failure kinds

This package file imports nothing: a provider's SDK loads only when that provider is used.
"""
