"""/api/v1/ and the API's documents. The endpoints live in the apps (returns.api, refunds.api)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from refunds import api as refunds_api
from returns import api as returns_api

v1 = [
    path("orders/", returns_api.OrdersView.as_view(), name="orders"),
    path("orders/<str:number>/", returns_api.OrderDetailView.as_view(), name="order"),
    path("returns/", returns_api.ReturnsView.as_view(), name="returns"),
    path("returns/<str:number>/", returns_api.ReturnDetailView.as_view(), name="return"),
    path("returns/<str:number>/approve/", returns_api.ApproveView.as_view(), name="return-approve"),
    path("returns/<str:number>/reject/", returns_api.RejectView.as_view(), name="return-reject"),
    path("returns/<str:number>/receive/", returns_api.ReceiveView.as_view(), name="return-receive"),
    path("returns/<str:number>/cancel/", returns_api.CancelView.as_view(), name="return-cancel"),
    path("returns/<str:number>/refund/", refunds_api.RefundForReturnView.as_view(), name="return-refund"),
    path("refunds/", refunds_api.RefundsView.as_view(), name="refunds"),
    path("refunds/<int:pk>/", refunds_api.RefundDetailView.as_view(), name="refund"),
    path("refunds/<int:pk>/retry/", refunds_api.RetryView.as_view(), name="refund-retry"),
    path("refunds/<int:pk>/confirm/", refunds_api.ConfirmView.as_view(), name="refund-confirm"),
    path("store-credits/<str:code>/", refunds_api.StoreCreditView.as_view(), name="store-credit"),
    path("store-credits/<str:code>/redeem/", refunds_api.RedeemView.as_view(), name="store-credit-redeem"),
    path("lookup/", refunds_api.LookupView.as_view(), name="lookup"),
    path("insight/product-flags/", returns_api.ProductFlagsView.as_view(), name="product-flags"),
]

# The documents describe the API, they hold no data: anyone may read them.
docs = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema", permission_classes=[AllowAny]), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema", permission_classes=[AllowAny]), name="redoc"),
]
