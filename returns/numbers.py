"""Return numbers like ``R-7K3P9QX``: six random characters and a check character.

The characters are the unmistakable ones of ``returns_portal.core.codes``; their
number, 29, is a prime, so the weighted check character catches every single
mistyped character and every swap of two neighbours. 29**6 (~600 million)
numbers keep collisions rare; the unique constraint and a retry in the service
handle the rare one.
"""

from __future__ import annotations

import secrets

from returns_portal.core.codes import ALPHABET

PREFIX = "R-"
BODY_LENGTH = 6
_VALUES = {char: index for index, char in enumerate(ALPHABET)}


def _weighted_sum(chars: str) -> int:
    return sum((position + 1) * _VALUES[char] for position, char in enumerate(chars))


def check_character(body: str) -> str:
    """The character that makes the weighted sum of all seven characters a multiple of 29."""
    weight = BODY_LENGTH + 1
    inverse = pow(weight, -1, len(ALPHABET))
    return ALPHABET[(-_weighted_sum(body) * inverse) % len(ALPHABET)]


def new_return_number() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return f"{PREFIX}{body}{check_character(body)}"


def normalize_return_number(text: str) -> str | None:
    """The canonical form of what a person typed or a scanner read, or None if it is not a valid number."""
    compact = "".join(text.split()).upper().replace("-", "")
    if len(compact) == BODY_LENGTH + 2 and compact.startswith("R"):  # "R" may also begin the body
        compact = compact[1:]
    if len(compact) != BODY_LENGTH + 1 or any(char not in _VALUES for char in compact):
        return None
    if _weighted_sum(compact) % len(ALPHABET):
        return None
    return f"{PREFIX}{compact}"
