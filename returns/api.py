"""The REST API for orders and returns. Thin: validation in serializers, rules in the services."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from returns.access import status_token
from returns.insight import product_flags
from returns.models import Condition, Order, ReturnPhoto, ReturnRequest, ReturnState
from returns.numbers import normalize_return_number
from returns.order_intake import IntakeRefused, OrderIn, orders_import
from returns.selectors import staff_return_lines
from returns.services import (
    InvalidTransition,
    ReceivedLine,
    ReturnRefused,
    return_receive,
    return_reject,
    return_transition,
)
from returns.services.errors import ReturnStateConflict
from returns_portal.core.api import Detail, refused
from returns_portal.core.periods import Period

VIEW_ORDERS = ("returns.view_order",)
VIEW_RETURNS = ("returns.view_returnrequest",)
CHANGE_RETURNS = ("returns.change_returnrequest",)


class CustomerOut(serializers.Serializer[Any]):
    email = serializers.EmailField()
    name = serializers.CharField()
    country = serializers.CharField()
    language = serializers.CharField()


class OrderLineOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    sku = serializers.CharField(source="variant.sku")
    name = serializers.CharField(source="variant.product.name")
    option = serializers.CharField(source="variant.option")
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)


class OrderOut(serializers.Serializer[Any]):
    number = serializers.CharField()
    placed_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    currency = serializers.CharField()
    language = serializers.CharField()
    payment_method = serializers.CharField()
    payment_provider = serializers.CharField(help_text="klarna, adyen, stripe, or empty: refunds paid by hand.")
    payment_reference = serializers.CharField(help_text="The provider's id of the payment, or empty.")
    shipping_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    customer = CustomerOut()
    lines = OrderLineOut(many=True)
    returns = serializers.SerializerMethodField(help_text="Numbers of the order's returns.")

    def get_returns(self, obj: Order) -> list[str]:
        return [return_request.number for return_request in obj.returns.all()]


class ReturnPhotoOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(
        help_text="The photo for staff logged in to the portal's admin (`?size=thumb`: a small JPEG); "
        "never a public address."
    )

    def get_url(self, obj: ReturnPhoto) -> str:
        path = reverse("admin:returns_returnrequest_photo", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReturnLineOut(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    order_line = serializers.IntegerField(source="order_line_id")
    sku = serializers.CharField(source="order_line.variant.sku")
    name = serializers.CharField(source="order_line.variant.product.name")
    quantity = serializers.IntegerField()
    reason = serializers.CharField(source="reason.code")
    comment = serializers.CharField()
    exchange_sku = serializers.CharField(source="exchange_variant.sku", allow_null=True, default=None)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    received_quantity = serializers.IntegerField(allow_null=True)
    condition = serializers.CharField()
    outcome = serializers.CharField()
    outcome_reason = serializers.CharField()
    photos = ReturnPhotoOut(many=True, help_text="The customer's photos of the defect.")


class EventOut(serializers.Serializer[Any]):
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    note = serializers.CharField()


class ReturnOut(serializers.Serializer[Any]):
    number = serializers.CharField()
    order = serializers.CharField(source="order.number")
    customer_email = serializers.EmailField(source="order.customer.email")
    currency = serializers.CharField(source="order.currency")
    state = serializers.ChoiceField(choices=ReturnState.choices)
    resolution = serializers.CharField()
    method = serializers.CharField()
    created_at = serializers.DateTimeField()
    state_changed_at = serializers.DateTimeField()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    pickup_date = serializers.DateField(allow_null=True, help_text="Home pickup: the day the customer chose.")
    pickup_window = serializers.CharField(help_text="Home pickup: when the carrier comes, once booked.")
    pickup_reference = serializers.CharField(help_text="Home pickup: the carrier's booking reference.")
    pickup_problem = serializers.CharField(
        help_text="Home pickup: why the carrier could not book it (its own words); empty otherwise."
    )
    expected_refund = serializers.DecimalField(max_digits=12, decimal_places=2)
    refund_due_on = serializers.DateField(allow_null=True)
    rejection_reason = serializers.CharField()
    status_url = serializers.SerializerMethodField()
    lines = ReturnLineOut(many=True)
    history = EventOut(many=True)

    def get_status_url(self, obj: ReturnRequest) -> str:
        """The customer's signed status page, to paste into a helpdesk reply."""
        path = reverse("returns:status", args=[status_token(obj)])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


def returns_for_api() -> QuerySet[ReturnRequest]:
    """Everything `ReturnOut` shows, in a fixed number of queries however many returns."""
    return ReturnRequest.objects.select_related("order__customer").prefetch_related(
        Prefetch("lines", queryset=staff_return_lines()), "history"
    )


def return_by_number(number: str) -> ReturnRequest:
    return get_object_or_404(returns_for_api(), number=normalize_return_number(number) or number)


def _staff(request: Request) -> User:
    return cast(User, request.user)  # the permission class let only authenticated users in


class OrdersView(APIView):
    """Push orders from the shop: one order object or a list; upserted by number; all or nothing."""

    read_perms = VIEW_ORDERS
    write_perms = ("returns.add_order", "returns.change_order")

    @extend_schema(
        request=OrderIn(many=True, allow_empty=False),
        responses={
            201: inline_serializer(
                "OrdersSaved",
                {
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "lines": serializers.IntegerField(),
                    "orders": serializers.ListField(child=serializers.CharField()),
                },
            ),
            400: inline_serializer(
                "OrdersRefused",
                {
                    "errors": serializers.DictField(required=False, help_text="Per order index, per field."),
                    "detail": serializers.CharField(required=False, help_text="The body is not JSON."),
                },
            ),
        },
        description="The body is one order, or a list of orders in the same shape. Either every order "
        "is saved or none is; errors are listed per order (its index in the list) and field.",
    )
    def post(self, request: Request) -> Response:
        payload = request.data
        orders = payload if isinstance(payload, list) else [payload]
        if not orders:
            return Response({"errors": {"0": {"order": ["Send at least one order."]}}}, status=400)
        try:
            result = orders_import(orders=orders)
        except IntakeRefused as refusal:
            errors = {str(index): _by_field(problems) for index, problems in refusal.errors.items()}
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        body = {"created": result.created, "updated": result.updated, "lines": result.lines, "orders": result.numbers}
        return Response(body, status=status.HTTP_201_CREATED)


def _by_field(problems: list[tuple[str, str]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for field, message in problems:
        fields.setdefault(field, []).append(message)
    return fields


class OrderDetailView(generics.RetrieveAPIView[Order]):
    read_perms = VIEW_ORDERS
    serializer_class = OrderOut
    lookup_field = "number"
    queryset = Order.objects.select_related("customer").prefetch_related("lines__variant__product", "returns")


class ReturnFilters(serializers.Serializer[Any]):
    state = serializers.ChoiceField(choices=ReturnState.choices, required=False)
    created_after = serializers.DateField(required=False, help_text="On or after this day.")
    created_before = serializers.DateField(required=False, help_text="Before this day.")
    email = serializers.EmailField(required=False)
    order = serializers.CharField(required=False, max_length=40)


class ReturnsView(generics.ListAPIView[ReturnRequest]):
    """Returns, newest first, filtered by state, dates, the customer's e-mail or the order number."""

    read_perms = VIEW_RETURNS
    serializer_class = ReturnOut

    @extend_schema(parameters=[ReturnFilters])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[ReturnRequest]:
        filters = ReturnFilters(data=self.request.query_params)
        filters.is_valid(raise_exception=True)  # a bad date or state is a 400 with the field's error
        wanted = filters.validated_data
        queryset = returns_for_api()
        if "state" in wanted:
            queryset = queryset.filter(state=wanted["state"])
        if "created_after" in wanted:
            queryset = queryset.filter(created_at__date__gte=wanted["created_after"])
        if "created_before" in wanted:
            queryset = queryset.filter(created_at__date__lt=wanted["created_before"])
        if "email" in wanted:
            queryset = queryset.filter(order__customer__email__iexact=wanted["email"])
        if "order" in wanted:
            queryset = queryset.filter(order__number=wanted["order"])
        return queryset


class ReturnDetailView(APIView):
    read_perms = VIEW_RETURNS

    @extend_schema(responses={200: ReturnOut, 404: Detail})
    def get(self, request: Request, number: str) -> Response:
        return Response(ReturnOut(return_by_number(number), context={"request": request}).data)


class ReturnActionView(APIView):
    """A staff action on one return; 409 when the return's state does not allow it."""

    write_perms = CHANGE_RETURNS

    def act(self, request: Request, return_request: ReturnRequest) -> None:
        raise NotImplementedError

    def post(self, request: Request, number: str) -> Response:
        return_request = return_by_number(number)
        try:
            self.act(request, return_request)
        except (InvalidTransition, ReturnStateConflict) as refusal:
            return Response({"detail": str(refusal)}, status=status.HTTP_409_CONFLICT)
        except ReturnRefused as refusal:
            return refused(refusal.errors)
        return Response(ReturnOut(return_by_number(number), context={"request": request}).data)


ACTION_RESPONSES = {200: ReturnOut, 400: Detail, 404: Detail, 409: Detail}


class ApproveView(ReturnActionView):
    @extend_schema(request=None, responses=ACTION_RESPONSES)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, request: Request, return_request: ReturnRequest) -> None:
        return_transition(return_request=return_request, to=ReturnState.APPROVED, by=_staff(request))


class CancelView(ReturnActionView):
    @extend_schema(request=None, responses=ACTION_RESPONSES)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, request: Request, return_request: ReturnRequest) -> None:
        return_transition(return_request=return_request, to=ReturnState.CANCELLED, by=_staff(request))


class RejectIn(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=2000, help_text="Shown to the customer.")


class RejectView(ReturnActionView):
    @extend_schema(request=RejectIn, responses=ACTION_RESPONSES)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, request: Request, return_request: ReturnRequest) -> None:
        data = _valid(RejectIn, request)
        return_reject(return_request=return_request, by=_staff(request), reason=data["reason"])


class ReceivedLineIn(serializers.Serializer[Any]):
    line = serializers.IntegerField(help_text="The return line's id.")
    received_quantity = serializers.IntegerField(min_value=0)
    condition = serializers.ChoiceField(choices=Condition.choices)
    accept = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    restock = serializers.BooleanField(required=False, default=False)


class ReceiveIn(serializers.Serializer[Any]):
    lines = ReceivedLineIn(many=True, allow_empty=False)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ReceiveView(ReturnActionView):
    """Record what arrived, line by line; the return moves to inspected and its refund is proposed.
    409 when the return cannot be received now (e.g. it was already inspected)."""

    @extend_schema(request=ReceiveIn, responses=ACTION_RESPONSES)
    def post(self, request: Request, number: str) -> Response:
        return super().post(request, number)

    def act(self, request: Request, return_request: ReturnRequest) -> None:
        data = _valid(ReceiveIn, request)
        lines = [
            ReceivedLine(
                return_line_id=line["line"],
                received_quantity=line["received_quantity"],
                condition=line["condition"],
                accept=line["accept"],
                reason=line["reason"],
                restock=line["restock"],
            )
            for line in data["lines"]
        ]
        return_receive(return_request=return_request, lines=lines, by=_staff(request), note=data["note"])


def _valid(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class ProductFlagOut(serializers.Serializer[Any]):
    product = serializers.CharField(source="product.name")
    category = serializers.CharField(source="product.category")
    sold = serializers.IntegerField(source="product.sold")
    returned = serializers.IntegerField(source="product.returned")
    return_rate = serializers.DecimalField(source="product.rate", max_digits=6, decimal_places=4)
    category_rate = serializers.DecimalField(max_digits=6, decimal_places=4)
    reason = serializers.CharField()
    reason_share = serializers.DecimalField(source="share", max_digits=5, decimal_places=4)
    hint = serializers.CharField()


class FlagsQuery(serializers.Serializer[Any]):
    days = serializers.IntegerField(min_value=1, max_value=3660, required=False, default=90)


class ProductFlagsView(APIView):
    """Products returned well above their category, mostly for one reason, with a hint what to fix;
    over the orders of the last `days` days."""

    read_perms = VIEW_RETURNS

    @extend_schema(parameters=[FlagsQuery], responses={200: ProductFlagOut(many=True)})
    def get(self, request: Request) -> Response:
        query = FlagsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        period = Period(now - dt.timedelta(days=query.validated_data["days"]), now)
        return Response(ProductFlagOut(product_flags(period), many=True).data)
