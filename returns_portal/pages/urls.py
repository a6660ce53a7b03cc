from django.urls import path

from returns_portal.pages import support

app_name = "support"
urlpatterns = [
    path("", support.support, name="search"),
    path("<int:pk>/resend/", support.resend, name="resend"),
]
