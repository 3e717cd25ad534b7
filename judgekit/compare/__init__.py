"""Several prompts and judges on one human-labelled dataset, and judge panels.

    runs.py        plan and run each prompt x judge as an ordinary evaluation, then analyse
    records.py     compare.json's typed records (rows, a panel's inter-judge agreement, the comparison)
    statistics.py  side-by-side agreement / correlation, bias and cost rows; significance of the best
    panel.py       several judges combined into one verdict per item

Each combination runs through `judgekit.api`, so caching, resuming and reports work as for `eval`.
"""
