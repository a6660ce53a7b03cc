"""Admin actions on many objects at once: do each through its service, then say what happened."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse

T = TypeVar("T")


def act_on_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[T],
    act: Callable[[T], T],
    *,
    verb: str,
    name: Callable[[T], str],
    refusals: tuple[type[Exception], ...],
) -> None:
    """Run `act` on every object; report which were done and which were refused, and why."""
    done, refused = [], []
    for obj in objects:
        try:
            result = act(obj)
        except refusals as refusal:
            refused.append(f"{name(obj)}: {refusal}")
        else:
            done.append(name(result))
    if done:
        model_admin.message_user(request, f"{verb} {len(done)}: {', '.join(done)}", messages.SUCCESS)
    if refused:
        model_admin.message_user(request, f"Refused {len(refused)}: {'; '.join(refused)}", messages.WARNING)


def ask_first(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    objects: Iterable[Any],
    *,
    action: str,
    intro: str,
    label: str,
    button: str,
    required: bool = True,
) -> TemplateResponse | None:
    """For an action that needs one answer (a reason, a tracking number): the page that asks it,
    or None once it was answered (then `request.POST["answer"]` holds it)."""
    if "apply" in request.POST:
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": button,
        "objects": objects,
        "action": action,
        "intro": intro,
        "label": label,
        "button": button,
        "required": required,
    }
    return TemplateResponse(request, "admin/returns/ask.html", context)
