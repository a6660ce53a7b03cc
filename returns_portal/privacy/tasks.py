"""Celery entry point of the retention sweep: thin, idempotent, run by beat once a day."""

from __future__ import annotations

from celery import shared_task

from returns_portal.privacy.retention import personal_data_sweep


@shared_task(name="privacy.anonymise_expired_personal_data")
def anonymise_expired_personal_data() -> dict[str, int]:
    """Anonymise returns and customers past PERSONAL_DATA_RETENTION_MONTHS; how many of each."""
    return personal_data_sweep()
