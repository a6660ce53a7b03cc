"""The payment providers' webhooks, mounted at /webhooks/payments/ by the project's URLs."""

from django.urls import path

from refunds.webhooks import provider_webhook

app_name = "payment_webhooks"
urlpatterns = [path("<slug:provider>/", provider_webhook, name="provider")]
