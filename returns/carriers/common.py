"""What more than one carrier adapter does with the same rule: plain functions on plain data."""

from __future__ import annotations

import re
from collections.abc import Iterable

from returns.carriers import TrackingStage


def split_street(street: str) -> tuple[str, str]:
    """("Sveavägen", "44") from "Sveavägen 44", for carriers that take the name and the number apart."""
    match = re.fullmatch(r"(.*?)\s+(\d+\s*[A-Za-z]?)", street.strip())
    return (match[1], match[2].replace(" ", "")) if match else (street.strip(), "")


def with_hand_in(stages: Iterable[TrackingStage]) -> list[TrackingStage]:
    """The stages of a parcel's events, oldest first, with its first physical scan read as the hand-in:
    carriers report it as an ordinary "in transit" scan."""
    marked: list[TrackingStage] = []
    handed_in = False
    for stage in stages:
        if stage is TrackingStage.IN_TRANSIT and not handed_in:
            stage = TrackingStage.HANDED_IN
        handed_in = handed_in or stage not in (TrackingStage.BOOKED, TrackingStage.OTHER)
        marked.append(stage)
    return marked
