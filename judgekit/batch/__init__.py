"""Judge through the providers' batch APIs (OpenAI Batch, Anthropic Message Batches).

    base.py       the provider-neutral interface a batch API adapter offers
    openai.py     OpenAI: a JSONL file through /v1/files, then a batch on /v1/chat/completions
    anthropic.py  Anthropic: a message batch, results read from its results_url
    cost.py       token and price estimates before submission, actual usage after
    driver.py     plan → submit → poll → collect → retry, writing the same rows an interactive run writes
    progress.py   the polling display on stderr

What a run directory remembers about its batches lives in `judgekit.store.batch_state`.
This package file imports nothing, so importing one adapter stays cheap.
"""
