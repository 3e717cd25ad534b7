"""What judgekit keeps on disk.

    rundir.py       a run directory: manifest, items, judgments.jsonl, summary (resume and re-parse)
    cache.py        the SQLite completion cache shared by runs
    batch_state.py  what a run directory remembers about its provider batches

The lowest layer with files: it imports only `errors`, `schema` and `redact`.
"""
