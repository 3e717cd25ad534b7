"""From judgment rows to numbers: item outcomes and the run's statistics.

    aggregate.py      item outcomes (win/tie/loss, scores) and the run summary's metrics
    outcomes.py       one judge's outcomes over a dataset, from a run directory or from columns
    matching.py       several sources loaded and matched item by item (same items, texts, labels)
    levels.py         judge-human correlation at item, group or system level
    leaderboard.py    win shares and Bradley-Terry strengths when more than two systems compete
    orders.py         the named rules that combine the two orders of a swapped item
    confidence.py     how sure the judge was of a verdict (one definition, used everywhere)
    adaptive.py       --positions adaptive: when an item needs its other order, and what that saved
    order_effects.py  how much the answer order decided the verdicts, against known labels
    bias.py           position and length bias, and the flags raised when the evidence is clear
    families.py       model families, for the self-preference warning

Pure statistics live one layer down in `judgekit.stats`.
"""
