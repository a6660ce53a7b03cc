"""The REST API for refunds and the support look-up. Thin: the money rules stay in `refunds.services`."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from refunds.models import Refund, RefundState, StoreCredit
from refunds.selectors import refund_is_late, refunds_late
from refunds.services import (
    InvalidRefundTransition,
    RefundRefused,
    refund_confirm,
    refund_execute,
    refund_for_return_keyed,
)
from refunds.store_credit import StoreCreditRefused, store_credit_redeem
from refunds.support import support_search
from returns.api import VIEW_RETURNS, ReturnOut, return_by_number
from returns_portal.core.api import Detail

VIEW_REFUNDS = ("refunds.view_refund",)
CHANGE_REFUNDS = ("refunds.change_refund",)
IDEMPOTENCY_HEADER = "Idempotency-Key"


class RefundLineOut(serializers.Serializer[Any]):
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat_amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class StoreCreditOut(serializers.Serializer[Any]):
    code = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    expires_on = serializers.DateField()
    redeemed_at = serializers.DateTimeField(allow_null=True)


class RefundOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    order = serializers.CharField(source="order.number")
    return_number = serializers.CharField(source="return_request.number", allow_null=True, default=None)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    method = serializers.CharField()
    provider = serializers.CharField()
    provider_reference = serializers.CharField()
    provider_fee = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="What the provider charged, where it says."
    )
    state = serializers.ChoiceField(choices=RefundState.choices)
    reason = serializers.CharField()
    due_on = serializers.DateField()
    late = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    lines = RefundLineOut(many=True)
    store_credit = serializers.SerializerMethodField()

    def get_late(self, obj: Refund) -> bool:
        return refund_is_late(obj)

    @extend_schema_field(StoreCreditOut(allow_null=True))
    def get_store_credit(self, obj: Refund) -> dict[str, Any] | None:
        credit = getattr(obj, "store_credit", None)
        return dict(StoreCreditOut(credit).data) if credit is not None else None


def refunds_for_api() -> QuerySet[Refund]:
    return Refund.objects.select_related("order", "return_request", "store_credit").prefetch_related("lines")


class RefundFilters(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=RefundState.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None,
                                       help_text="true: not paid and past the due day.")  # fmt: skip
    order = serializers.CharField(required=False, max_length=40)
    email = serializers.EmailField(required=False)


class RefundsView(generics.ListAPIView[Refund]):
    """Refunds, newest first, filtered by state, lateness, order or the customer's e-mail."""

    read_perms = VIEW_REFUNDS
    serializer_class = RefundOut

    @extend_schema(parameters=[RefundFilters])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Refund]:
        filters = RefundFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        queryset = refunds_for_api()
        if "state" in wanted:
            queryset = queryset.filter(state=wanted["state"])
        if wanted.get("overdue") is not None:
            late = refunds_late(queryset)
            queryset = late if wanted["overdue"] else queryset.exclude(pk__in=late.values("pk"))
        if "order" in wanted:
            queryset = queryset.filter(order__number=wanted["order"])
        if "email" in wanted:
            queryset = queryset.filter(order__customer__email__iexact=wanted["email"])
        return queryset


class RefundDetailView(generics.RetrieveAPIView[Refund]):
    read_perms = VIEW_REFUNDS
    serializer_class = RefundOut

    def get_queryset(self) -> QuerySet[Refund]:
        return refunds_for_api()


class RefundConflict(serializers.Serializer[Any]):
    """A refund refused because units or money are already paid back (or a state does not allow it)."""

    detail = serializers.CharField()
    refund = serializers.IntegerField(required=False, help_text="The refund that already pays it back.")


def _conflict(refusal: RefundRefused) -> Response:
    body: dict[str, Any] = {"detail": str(refusal)}
    if refusal.refund is not None:
        body["refund"] = refusal.refund.pk
    return Response(body, status=status.HTTP_409_CONFLICT)


IDEMPOTENCY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any string up to 80 characters; the same key gives back the same refund instead of a second one.",
)


class RefundForReturnView(APIView):
    """Create the refund of an inspected return: its accepted units not refunded yet, less the fees.
    201 when made, 200 for a key already used for this return; 409 when the return is not inspected
    or what it would pay back is already paid back (with that refund's id)."""

    write_perms = CHANGE_REFUNDS

    @extend_schema(
        request=None,
        parameters=[IDEMPOTENCY],
        responses={200: RefundOut, 201: RefundOut, 400: Detail, 404: Detail, 409: RefundConflict},
    )
    def post(self, request: Request, number: str) -> Response:
        return_request = return_by_number(number)
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if len(key) > 80:
            return Response({"detail": f"{IDEMPOTENCY_HEADER} may be at most 80 characters."}, status=400)
        try:
            refund, made = refund_for_return_keyed(
                return_request=return_request,
                by=cast(User, request.user),
                idempotency_key=f"api:{key}" if key else None,
            )
        except RefundRefused as refusal:
            return _conflict(refusal)
        body = RefundOut(refunds_for_api().get(pk=refund.pk)).data
        return Response(body, status=status.HTTP_201_CREATED if made else status.HTTP_200_OK)


class RetryView(APIView):
    """Pay a pending refund, or try a failed or unanswered one again (the provider gets the same key);
    409 when a failed refund would now pay back what another refund already pays."""

    write_perms = CHANGE_REFUNDS

    @extend_schema(request=None, responses={200: RefundOut, 404: Detail, 409: RefundConflict})
    def post(self, request: Request, pk: int) -> Response:
        refund = get_object_or_404(Refund, pk=pk)
        try:
            refund_execute(refund=refund, by=cast(User, request.user))
        except RefundRefused as refusal:
            return _conflict(refusal)
        except InvalidRefundTransition as refusal:
            return Response({"detail": str(refusal)}, status=status.HTTP_409_CONFLICT)
        return Response(RefundOut(refunds_for_api().get(pk=pk)).data)


class ConfirmIn(serializers.Serializer[Any]):
    reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=120,
                                      help_text="The bank's reference of the transfer.")  # fmt: skip


class ConfirmView(APIView):
    """A manual payout (a bank transfer for an invoice order) was made: the refund succeeded."""

    write_perms = CHANGE_REFUNDS

    @extend_schema(request=ConfirmIn, responses={200: RefundOut, 400: Detail, 404: Detail, 409: Detail})
    def post(self, request: Request, pk: int) -> Response:
        refund = get_object_or_404(Refund, pk=pk)
        body = ConfirmIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            refund_confirm(refund=refund, by=cast(User, request.user), reference=body.validated_data["reference"])
        except InvalidRefundTransition as refusal:
            return Response({"detail": str(refusal)}, status=status.HTTP_409_CONFLICT)
        return Response(RefundOut(refunds_for_api().get(pk=pk)).data)


class StoreCreditDetailOut(StoreCreditOut):
    redeemed_order = serializers.CharField()
    usable = serializers.SerializerMethodField()

    def get_usable(self, obj: StoreCredit) -> bool:
        return obj.redeemed_at is None and obj.expires_on >= timezone.localdate()


class StoreCreditView(APIView):
    """Look a code up at the shop's checkout: its value, expiry, and whether it can still be used."""

    read_perms = ("refunds.view_storecredit",)

    @extend_schema(responses={200: StoreCreditDetailOut, 404: Detail})
    def get(self, request: Request, code: str) -> Response:
        credit = get_object_or_404(StoreCredit, code=code.strip().upper())
        return Response(StoreCreditDetailOut(credit).data)


class RedeemIn(serializers.Serializer[Any]):
    order = serializers.CharField(max_length=40, help_text="The shop's order the code is spent on.")


class RedeemView(APIView):
    """Spend a code on an order, once; 409 when it was used or has expired."""

    write_perms = ("refunds.change_storecredit",)

    @extend_schema(request=RedeemIn, responses={200: StoreCreditDetailOut, 400: Detail, 404: Detail, 409: Detail})
    def post(self, request: Request, code: str) -> Response:
        get_object_or_404(StoreCredit, code=code.strip().upper())
        body = RedeemIn(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            credit = store_credit_redeem(code=code, order_number=body.validated_data["order"])
        except StoreCreditRefused as refusal:
            return Response({"detail": str(refusal)}, status=status.HTTP_409_CONFLICT)
        return Response(StoreCreditDetailOut(credit).data)


class RefundSummary(serializers.Serializer[Any]):
    """A refund as the look-up shows it next to its return (everything it reads is prefetched)."""

    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    method = serializers.CharField()
    state = serializers.ChoiceField(choices=RefundState.choices)
    provider_reference = serializers.CharField()
    due_on = serializers.DateField()
    paid_at = serializers.DateTimeField(allow_null=True)
    store_credit_code = serializers.SerializerMethodField()

    def get_store_credit_code(self, obj: Refund) -> str | None:
        credit = getattr(obj, "store_credit", None)
        return credit.code if credit is not None else None


class LookupResult(ReturnOut):
    refunds = RefundSummary(many=True)


class LookupView(APIView):
    """The support search: order number, e-mail, return or tracking number, or part of a name."""

    read_perms = VIEW_RETURNS + VIEW_REFUNDS

    @extend_schema(
        parameters=[OpenApiParameter("q", OpenApiTypes.STR, required=True, description="What to look for.")],
        responses={200: LookupResult(many=True)},
    )
    def get(self, request: Request) -> Response:
        results = support_search(request.query_params.get("q", ""))
        return Response(LookupResult(results, many=True, context={"request": request}).data)
