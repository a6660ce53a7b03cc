"""The period picker of the staff reports: whole local days, the last few by default."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import HttpRequest
from django.utils import timezone

from returns_portal.core.periods import Period


class PeriodForm(forms.Form):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    @classmethod
    def for_request(cls, request: HttpRequest, default_days: int) -> tuple[PeriodForm, Period]:
        """The chosen period, and the form showing it (the default days filled in when none was chosen)."""
        form = cls(request.GET or None)
        period = form.period(default_days)
        if not form.is_bound:
            last_day = (period.end - dt.timedelta(days=1)).date()
            form = cls(initial={"start": period.start.date(), "end": last_day})
        return form, period

    def period(self, default_days: int) -> Period:
        """The chosen days, whole local days; by default the last `default_days`."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - dt.timedelta(days=default_days)
        if start > end:
            start, end = end, start
        return Period(_midnight(start), _midnight(end + dt.timedelta(days=1)))


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))
