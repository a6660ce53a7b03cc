"""What follow-ups hold about a person, for the right of access and the right to erasure.

E-mails to them (address, the mail server's last words), webhook deliveries that carried their
return or refund to another system, survey comments, win-back offers, and an objection to marketing.
Erasure keeps that a message went out and when, not to whom; unsent messages to the person are
dropped. An objection outlives the person as a keyed hash of the address (`email_digest`): a
forgotten person who comes back with the same address is still never offered marketing
(`followup.winback`), and the hash alone tells nobody who they were.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from followup.models import Kind, MarketingObjection, MessageState, OfferCode, OutboxMessage, SurveyAnswer
from returns.models import Customer, Order, ReturnRequest

ERASED_ADDRESS = "erased@invalid"  # RFC 2606: nobody's, never delivered
UNSENT_STATES = frozenset({MessageState.PENDING, MessageState.FAILED})
# What a webhook delivery about an erased person keeps: the numbers, states, dates and amounts the
# receiving system may need to reconcile, and nothing written by or about the person.
WEBHOOK_KEPT_KEYS = frozenset({
    "id", "event", "created_at", "data", "number", "order", "return_number", "currency", "state", "resolution",
    "method", "state_changed_at", "expected_refund", "refund_due_on", "amount", "provider", "provider_reference",
    "due_on", "paid_at", "lines", "kind", "vat_rate", "vat_amount", "sku", "quantity", "condition",
    "outcome", "received_quantity", "history", "at", "from_state", "to_state",
})  # fmt: skip
MESSAGE_FIELDS = ["kind", "to", "language", "state", "created_at", "sent_at", "payload"]


def email_digest(email: str) -> str:
    """HMAC-SHA256 of the lower-cased address, keyed so that nobody can test addresses against it."""
    key = settings.PRIVACY_HASH_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def forgotten_objectors(emails: Iterable[str]) -> set[str]:
    """The addresses among `emails` of people who objected to marketing and were forgotten since."""
    by_digest = {email_digest(email): email for email in emails}
    held = MarketingObjection.objects.filter(email_hash__in=by_digest).values_list("email_hash", flat=True)
    return {by_digest[digest] for digest in held}


def holds_objection(email: str) -> bool:
    """Whether an objection is still kept under this address (not yet as a hash)."""
    return MarketingObjection.objects.filter(email=email.strip().lower()).exists()


def _messages_about(customer: Customer) -> QuerySet[OutboxMessage]:
    orders = Order.objects.filter(customer=customer).values_list("number", flat=True)
    webhooks = Q(kind=Kind.WEBHOOK, payload__data__order__in=list(orders))
    return OutboxMessage.objects.filter(Q(customer=customer) | Q(return_request__order__customer=customer) | webhooks)


def _messages_about_returns(return_ids: list[int]) -> QuerySet[OutboxMessage]:
    numbers = list(ReturnRequest.objects.filter(pk__in=return_ids).values_list("number", flat=True))
    webhooks = Q(kind=Kind.WEBHOOK) & (
        Q(payload__data__number__in=numbers) | Q(payload__data__return_number__in=numbers)
    )
    return OutboxMessage.objects.filter(Q(return_request_id__in=return_ids) | webhooks)


def export(*, email: str, customer: Customer | None) -> dict[str, Any]:
    """Messages to or about the person, their survey answers and offers, and their objection."""
    objection = _objection(email)
    found: dict[str, Any] = {}
    if objection is not None:
        kept_as = "hash of the e-mail address" if objection.email_hash else "e-mail address"
        found["marketing_objection"] = {"at": objection.at, "source": objection.source, "kept_as": kept_as}
    if customer is None:
        return found
    messages = _messages_about(customer).select_related("subscriber").order_by("created_at", "pk")
    found["messages"] = [_message(message) for message in messages]
    answers = SurveyAnswer.objects.filter(return_request__order__customer=customer).order_by("answered_at")
    found["survey_answers"] = list(answers.values("return_request__number", "score", "comment", "answered_at"))
    offers = OfferCode.objects.filter(customer=customer).order_by("created_at")
    found["offers"] = list(offers.values("code", "percent", "expires_on", "created_at", "redeemed_at"))
    return found


def _message(message: OutboxMessage) -> dict[str, Any]:
    values = {field: getattr(message, field) for field in MESSAGE_FIELDS}
    if message.subscriber is not None:
        values["recipient_system"] = message.subscriber.name
    return values


def _objection(email: str) -> MarketingObjection | None:
    mine = Q(email=email.strip().lower()) | Q(email_hash=email_digest(email))
    return MarketingObjection.objects.filter(mine).order_by("at").first()


def erase(*, email: str, customer: Customer | None) -> dict[str, int]:
    """Erase the person's messages, survey comments and offers' link to them; hash their objection."""
    counts = {"objections kept as a hash": _hash_objection(email)}
    if customer is not None:
        counts |= _erase(
            _messages_about(customer), SurveyAnswer.objects.filter(return_request__order__customer=customer)
        )
    return counts


def erase_returns(return_ids: Iterable[int]) -> dict[str, int]:
    """Erase the messages about these returns and their survey comments."""
    ids = list(return_ids)
    return _erase(_messages_about_returns(ids), SurveyAnswer.objects.filter(return_request_id__in=ids))


def _erase(messages: QuerySet[OutboxMessage], answers: QuerySet[SurveyAnswer]) -> dict[str, int]:
    dropped, _by_model = messages.filter(state__in=UNSENT_STATES).delete()
    sent = messages.exclude(state__in=UNSENT_STATES)
    anonymised = sent.exclude(kind=Kind.WEBHOOK).update(to=ERASED_ADDRESS, last_error="")
    for delivery in sent.filter(kind=Kind.WEBHOOK):
        delivery.payload, delivery.last_error = _kept(delivery.payload), ""
        delivery.save(update_fields=["payload", "last_error"])
        anonymised += 1
    return {
        "messages": anonymised,
        "unsent messages dropped": dropped,
        "survey answers": answers.exclude(comment="").update(comment=""),
    }


def _kept(value: Any) -> Any:
    """The payload with only WEBHOOK_KEPT_KEYS, at every depth."""
    if isinstance(value, dict):
        return {key: _kept(item) for key, item in value.items() if key in WEBHOOK_KEPT_KEYS}
    if isinstance(value, list):
        return [_kept(item) for item in value]
    return value


def _hash_objection(email: str) -> int:
    """The objection under this address, from now on kept by its hash only; 1 if there was one."""
    objection = MarketingObjection.objects.filter(email=email.strip().lower()).first()
    if objection is None:
        return 0
    digest = email_digest(email)
    if MarketingObjection.objects.filter(email_hash=digest).exists():
        objection.delete()  # forgotten before, and objected again since: the hash already holds
    else:
        objection.email, objection.email_hash = f"forgotten-{objection.pk}@invalid", digest
        objection.save(update_fields=["email", "email_hash"])
    return 1
