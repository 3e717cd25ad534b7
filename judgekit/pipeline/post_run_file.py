"""Post-run options kept in a run directory until its batches are collected.

`judgekit eval --batch --detach --min-win-rate 0.6 --junit r.xml` cannot gate yet: the verdicts
come back later. The options are stored in `post_run.json` and `judgekit batch collect` applies
them (unless it is given post-run options of its own), so a detached gate is never lost.
"""

from __future__ import annotations

import json
from pathlib import Path

from judgekit.errors import RunDirError
from judgekit.pipeline.ending import PostRun
from judgekit.store.rundir import atomic_write

POST_RUN_FILE = "post_run.json"


def save_post_run(run_dir: Path, post: PostRun) -> None:
    atomic_write(run_dir / POST_RUN_FILE, json.dumps(post.to_json(), indent=2) + "\n")


def load_post_run(run_dir: Path, *, as_json: bool) -> PostRun | None:
    path = run_dir / POST_RUN_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunDirError(f"{path}: cannot read the stored post-run options ({exc})") from None
    return PostRun.from_json(data, as_json=as_json) if isinstance(data, dict) else None
