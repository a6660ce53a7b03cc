"""For tests that prove a remote call (carrier, payment provider, SMTP, webhook) runs with no
transaction open and no row lock held: stand-ins note the moment of the call.

Only meaningful in transactional tests (`django_db(transaction=True)`) on PostgreSQL:
elsewhere the test itself wraps everything in a transaction, and SQLite has no row locks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import DatabaseError, connection, connections, models, transaction


@dataclass(frozen=True)
class Moment:
    in_transaction: bool  # the calling connection had a transaction open
    rows_free: bool  # another connection could lock the rows at once (SELECT ... FOR UPDATE NOWAIT)


def rows_free(*querysets: models.QuerySet[models.Model]) -> bool:
    """Whether a second connection can lock every row of these querysets without waiting."""
    free: list[bool] = []

    def attempt() -> None:  # a thread of its own: Django gives it its own connection
        try:
            with transaction.atomic():
                for queryset in querysets:
                    list(queryset.select_for_update(nowait=True))
            free.append(True)
        except DatabaseError:
            free.append(False)
        finally:
            connections.close_all()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return free == [True]


def moment(*querysets: models.QuerySet[models.Model]) -> Moment:
    return Moment(in_transaction=connection.in_atomic_block, rows_free=rows_free(*querysets))


OUTSIDE = Moment(in_transaction=False, rows_free=True)
