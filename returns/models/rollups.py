"""Small tallies behind the insight dashboard, so that it reads a few thousand rows instead of scanning
every order line of the period. `returns.rollups` keeps them up to date, in the transaction of each
change, and rebuilds them from history.

A day is a local day (settings.TIME_ZONE). For units sold and returned it is the order's: a period is a
cohort of orders, so units returned are counted on the day their order was placed, not the day they
came back. The weekly trend counts returns on the day they were requested.
"""

from __future__ import annotations

from django.db import models

from returns.models.catalog import Variant
from returns.models.policy import ReturnReason


class UnitsSold(models.Model):
    """Units bought per variant on a day, by shop orders (an exchange's replacement is not a sale)."""

    day = models.DateField()
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    units = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "units sold (insight rollup)"
        constraints = [models.UniqueConstraint(fields=["day", "variant"], name="unitssold_one_per_key")]

    def __str__(self) -> str:
        return f"{self.day}: variant {self.variant_id}, {self.units} units sold"


class UnitsReturned(models.Model):
    """Units of a day's orders in returns that still stand (not rejected, cancelled or expired), per
    variant and reason."""

    day = models.DateField()
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="+")
    reason = models.ForeignKey(ReturnReason, on_delete=models.CASCADE, related_name="+")
    units = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "units returned (insight rollup)"
        constraints = [models.UniqueConstraint(fields=["day", "variant", "reason"], name="unitsreturned_one_per_key")]

    def __str__(self) -> str:
        return f"{self.day}: variant {self.variant_id}, reason {self.reason_id}, {self.units} units back"


class ReturnsRequested(models.Model):
    """Returns requested on a day (local), and their units, that still stand: the weekly trend."""

    day = models.DateField(unique=True)
    returns = models.IntegerField(default=0)
    units = models.IntegerField(default=0)

    class Meta:
        verbose_name_plural = "returns requested (insight rollup)"

    def __str__(self) -> str:
        return f"{self.day}: {self.returns} returns, {self.units} units"
