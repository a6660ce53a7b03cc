"""The two pages an e-mail links to: unsubscribe from offers, and the one-question survey."""

from __future__ import annotations

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.csrf import csrf_exempt

from followup.models import MarketingObjection, SurveyAnswer
from returns.models import ReturnRequest
from returns.views.common import page_language

SURVEY_DAYS = 90


@csrf_exempt  # mail apps POST here themselves (RFC 8058 one-click); the signed token is the protection
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click is enough: the link itself records the objection, for good."""
    try:
        email, language = signing.loads(token, salt="followup.unsubscribe")
    except (signing.BadSignature, ValueError, TypeError):
        return render(request, "followup/link_problem.html", status=404)
    MarketingObjection.objects.get_or_create(email=str(email).lower())
    with translation.override(page_language(request, str(language))):
        return render(request, "followup/unsubscribed.html", {"email": email})


def survey(request: HttpRequest, token: str, score: int) -> HttpResponse:
    """The score is recorded by the click; the page then asks for an optional comment.

    One answer per return: clicking another score changes it, a comment is added to it.
    """
    try:
        return_id = signing.loads(token, salt="followup.survey", max_age=SURVEY_DAYS * 24 * 3600)
        return_request = ReturnRequest.objects.get(pk=return_id)
    except (signing.BadSignature, ReturnRequest.DoesNotExist):
        return render(request, "followup/link_problem.html", status=404)
    if not 1 <= score <= 5:
        return render(request, "followup/link_problem.html", status=404)
    answer = _record(return_request, score, request.POST.get("comment", "") if request.method == "POST" else None)
    with translation.override(page_language(request, return_request.language)):
        return render(
            request,
            "followup/survey.html",
            {"answer": answer, "return": return_request, "commented": request.method == "POST"},
        )


def _record(return_request: ReturnRequest, score: int, comment: str | None) -> SurveyAnswer:
    defaults: dict[str, object] = {"score": score, "answered_at": timezone.now()}
    if comment is not None:
        defaults["comment"] = comment.strip()[:2000]
    try:
        with transaction.atomic():
            answer, _created = SurveyAnswer.objects.update_or_create(return_request=return_request, defaults=defaults)
    except IntegrityError:  # two clicks at once: the other one created it
        answer, _created = SurveyAnswer.objects.update_or_create(return_request=return_request, defaults=defaults)
    return answer
