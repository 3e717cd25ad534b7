"""Seeded draws per item: the same (seed, item id) always gives the same draw, on any machine.

They are hashes, not a random generator's stream, so a draw does not depend on the order items
are judged in (concurrency, --resume) and `judgekit report` can recompute every one offline.
"""

from __future__ import annotations

import hashlib


def item_coin(seed: int, item_id: str) -> bool:
    """A fair coin per (seed, item id): the answer order `--positions random` shows."""
    digest = hashlib.sha256(f"{seed}\x00{item_id}".encode()).digest()
    return bool(digest[0] & 1)


def item_uniform(seed: int, item_id: str, purpose: str) -> float:
    """A uniform draw in [0, 1) per (seed, item id, purpose); purposes draw independently."""
    digest = hashlib.sha256(f"{purpose}\x00{seed}\x00{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
