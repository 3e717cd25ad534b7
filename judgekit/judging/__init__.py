"""Making the judge calls: from items and templates to judgment rows in the run directory.

    grading.py    the grading plan: template per item, auxiliary calls, score method
    row_checks.py what a row must hold for its template, mode and criterion
    calls.py      one item's planned calls (answer positions), and a judge answer -> judgment row
    runner.py     asyncio executor: bounded concurrency, retries (Retry-After), cache, budgets
    budget.py     --max-cost: the run directory's settled spending and the worst case in flight
    limiter.py    fixed or adaptive (AIMD on 429s) requests in flight
    sampling.py   several samples of one call as separate requests
    scoring.py    how a verdict becomes a number (parse, logprobs, samples)
    auxiliary.py  G-Eval steps and generated reference answers
    pricing.py    the dated price table, what an answer was charged, cost estimates
    reparse.py    read stored answers again after a parser or template fix (no model calls)
    embedded.py   the embedded default judge's settings
    progress.py   the progress display on stderr

Imports go down only: to `metrics`, `inputs`, `backends`, `store` and the shared vocabulary.
"""
