"""What a run reads: data rows, judge templates, and the rules for reading a judge's answer.

    datasets.py   JSONL / CSV / JSON rows -> validated `Item`s (file:line:field errors)
    columns.py          which column feeds each field (--field, names, aliases) and how a remap moves a pair
    row_files.py        rows out of JSONL, JSON-array and CSV files, with their line numbers
    field_values.py     one field of a row as a typed value (dotted paths, labels, scores, turns)
    baseline.py   join a candidate file and a baseline file into one pairwise dataset
    prompts.py          templates: front matter models, sandboxed Jinja rendering (candidate text is data)
    template_files.py   finding and loading templates (built-in names, files, the wheel's copy)
    template_inputs.py  item variables, neutralised untrusted text, requirement checks
    parsing.py    fail-closed verdict and score parsing (anything else is unscored)
    criteria.py   G-Eval criteria: built-in names, files or a sentence
    rubrics.py    rubric files (text, or score: description)
    domains.py    which built-in template grades an item, by domain (general, coding, math)

Nothing here calls a model or aggregates; it imports only the shared vocabulary and `store`.
"""
