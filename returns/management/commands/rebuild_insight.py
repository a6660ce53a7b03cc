"""`manage.py rebuild_insight`: recount the insight's rollups of units sold and returned from every order
and return. The services keep them up to date; this is for orders written around them (a restore, plain
SQL) and to check them: it prints how many rows it wrote."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from returns.rollups import rebuild


class Command(BaseCommand):
    help = "Recount the insight's rollups (units sold, returned and requested per day) from every order and return."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        tally = rebuild()
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Rebuilt the insight rollups in {seconds:.1f} s: rows {len(tally.sold)} sold, "
            f"{len(tally.returned)} returned, {len(tally.requested)} requested."
        )
