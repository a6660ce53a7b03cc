"""/api/v1/ and the API's documents. The endpoints live in the apps (returns.api, refunds.api)."""

from csp.constants import NONCE, SELF
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from refunds import api as refunds_api
from returns import api as returns_api
from returns_portal.csp import relaxed

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

# Swagger UI draws its icons from data: URLs, and so does Redoc.
SWAGGER_UI_POLICY = {"img-src": ["data:"]}
# Redoc (this sidecar's build) inserts <style> elements: styled-components' carry the request's nonce, which
# static/js/redoc.js hands to Redoc; perfect-scrollbar's, inserted as the bundle loads, cannot, so its hash
# (and that of the empty element it starts as) is listed: after an upgrade, the browser's console names the
# new one and tests/e2e/test_api_docs.py fails. Its search runs in a worker made from a blob: URL.
REDOC_POLICY: dict[str, list[object]] = {
    "style-src": [
        NONCE,
        "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # ""
        "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",  # .ps{overflow:hidden!important;...
    ],
    "worker-src": [SELF, "blob:"],
    "img-src": ["data:"],
}

# The documents describe the API, they hold no data: anyone may read them. Both pages run under the
# portal's Content-Security-Policy, drf-spectacular's templates without their inline style and script
# (templates/api/): Swagger UI's start-up script comes from its own URL (the split view, drf-spectacular's
# way for a strict CSP) and Redoc's from static/js/redoc.js.
_anyone = {"url_name": "schema", "permission_classes": [AllowAny]}
docs = [
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="schema"),
    path(
        "docs/",
        relaxed(SWAGGER_UI_POLICY)(SpectacularSwaggerSplitView.as_view(template_name="api/swagger_ui.html", **_anyone)),
        name="docs",
    ),
    path(
        "redoc/",
        relaxed(REDOC_POLICY)(SpectacularRedocView.as_view(template_name="api/redoc.html", **_anyone)),
        name="redoc",
    ),
]
