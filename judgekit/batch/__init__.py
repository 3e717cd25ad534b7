"""Judge through the providers' batch APIs (OpenAI Batch, Anthropic Message Batches).

    base.py       the provider-neutral interface a batch API adapter offers
    openai.py     OpenAI: a JSONL file through /v1/files, then a batch on /v1/chat/completions
    anthropic.py  Anthropic: a message batch, results read from its results_url
    cost.py       token and price estimates before submission, actual usage after
    options.py    BatchOptions: how a batch run behaves, as stored in batches/state.json
    driver.py     one batch run: recover → plan → submit → poll → collect → retry (the public entry:
                  run_batch, run_batch_eval, BatchOptions, BatchResult)
    session.py    the state one batch run shares between its steps (journal, failed and requeued calls)
    recovery.py   batches whose submission was interrupted: found again at the provider, or resubmitted
    planning.py   the calls still needing a batch, spooled to disk (resume, running batches, cache, budgets)
    submission.py cut the spool into batches within the provider's limits and submit them
    collection.py poll the running batches and collect those that ended
    outcomes.py   write what batches returned as judgment rows, parsed as interactive answers are
    retries.py    resubmit failed or refused requests in a new batch, or judge them interactively
    progress.py   the polling display on stderr
    registry.py   the batch API adapter for a judge backend

What a run directory remembers about its batches lives in `judgekit.store.batch_state`.
This package file imports nothing, so importing one adapter stays cheap.
"""
