from django.contrib import admin
from django.urls import path

from returns_portal.staff import two_factor_views

app_name = "two_factor"

urlpatterns = [
    path("", admin.site.admin_view(two_factor_views.verify), name="verify"),
    path("enrol/", admin.site.admin_view(two_factor_views.enrol), name="enrol"),
    path("recovery-codes/", admin.site.admin_view(two_factor_views.recovery_codes), name="recovery-codes"),
]
