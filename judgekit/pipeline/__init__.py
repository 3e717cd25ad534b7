"""Every way a run ends, in one place: the run paths and their one ending.

    finished.py   a finished run directory as CI sees it (its summary rebuilt if missing)
    confirm.py    questions asked before spending (a score-method fallback that multiplies calls),
                  once for all of a panel's or a comparison's judges

The CLI calls these; they call everything below (reporting, compare, batch, ci, api). Nothing
below imports them.
"""
