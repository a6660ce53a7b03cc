"""The record of every anonymisation: whose, when and why, never what the data was."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    RETURN = "return", "Return"


class Why(models.TextChoices):
    REQUEST = "request", "The person asked (forget_customer)"
    RETENTION = "retention", "The retention period ended"


class Erasure(models.Model):
    """One customer or return anonymised. It shows a supervisory authority that erasure happened,
    and tells the retention sweep what it has done already, so it never does it twice."""

    scope = models.CharField(max_length=8, choices=Scope.choices)
    object_id = models.BigIntegerField(help_text="The customer's or the return's id.")
    why = models.CharField(max_length=10, choices=Why.choices)
    at = models.DateTimeField(default=timezone.now)
    counts = models.JSONField(default=dict, blank=True, help_text="What was anonymised, by kind.")

    class Meta:
        ordering = ["-at"]
        constraints = [models.UniqueConstraint(fields=["scope", "object_id"], name="erased_once")]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} {self.object_id} ({self.get_why_display()})"
