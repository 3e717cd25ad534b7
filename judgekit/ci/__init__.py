"""A finished run seen as CI sees it: gates, pass rules, provenance, run-to-run diffs.

    runview.py     a finished run read back from its directory (manifest, summary, item outcomes)
    gates.py       quality gates (--min-win-rate, --max-unscored, ...) checked on a run view
    passrule.py    what "this item passed" means, shared by gates, JUnit and reports
    provenance.py  warnings when compared numbers were not produced the same way
    diff.py        two runs compared item by item (`judgekit diff`)

Nothing here calls a model; reports of these results are drawn in `judgekit.reporting`.
"""
