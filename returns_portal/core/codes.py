"""Codes people read from a screen or paper and type back: return numbers, store credit and offers.

The alphabet leaves out characters people confuse when reading or typing (0/O, 1/I/L, 5/S, U/V...),
and has 29 symbols: a prime, so a weighted check character catches every single mistyped character
and every swap of two neighbours (see ``returns.numbers``).
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRTVWXYZ"


def random_code(prefix: str, groups: int, group_length: int = 4) -> str:
    """A code people type at a checkout (store credit, offers): unmistakable characters in groups,
    e.g. random_code("SC-", 3) -> "SC-7K3P-9QXA-M2TD"."""
    chunks = ("".join(secrets.choice(ALPHABET) for _ in range(group_length)) for _ in range(groups))
    return prefix + "-".join(chunks)
