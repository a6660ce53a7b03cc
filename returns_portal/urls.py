from django.contrib import admin
from django.urls import include, path

from returns_portal.api_urls import docs, v1
from returns_portal.health import healthz
from returns_portal.pages import bookkeeping, insight

admin.site.site_header = "Returns portal"
admin.site.site_title = "Returns portal"
admin.site.index_title = "Returns, refunds and follow-ups"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/insight/", admin.site.admin_view(insight.dashboard), name="insight"),
    path(
        "admin/insight/bookkeeping/", admin.site.admin_view(bookkeeping.bookkeeping_report), name="insight-bookkeeping"
    ),
    path("admin/two-factor/", include("returns_portal.staff.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((v1, "api"))),
    path("api/", include(docs)),
    path("support/", include("returns_portal.pages.urls")),
    path("mail/", include("followup.urls")),
    path("webhooks/payments/", include("refunds.urls")),  # Klarna, Adyen, Stripe: signed, CSRF-exempt
    path("", include("returns.urls")),
]

handler404 = "returns_portal.errors.not_found"
handler400 = "returns_portal.errors.bad_request"
handler500 = "returns_portal.errors.server_error"
