from django.urls import path

from returns import webhooks
from returns.views import common, flow, sender, status

app_name = "returns"
urlpatterns = [
    path("", flow.start, name="start"),
    path("policy/", flow.policy_page, name="policy"),
    path("language/<str:code>/", common.choose_language, name="language"),
    path("order/<str:token>/", flow.items, name="items"),
    path("order/<str:token>/help/", flow.help_first, name="help"),
    path("order/<str:token>/address/", sender.address, name="address"),
    path("order/<str:token>/how/", flow.choice, name="choice"),
    path("order/<str:token>/confirm/", flow.confirm, name="confirm"),
    path("r/<str:token>/", status.status, name="status"),
    path("r/<str:token>/cancel/", status.cancel, name="cancel"),
    path("r/<str:token>/address/", status.fix_address, name="fix_address"),
    path("r/<str:token>/label.pdf", status.label, name="label"),
    path("r/<str:token>/code.png", status.dropoff_code_image, name="dropoff_code_image"),
    path("r/<str:token>/packing/", status.packing, name="packing"),
    path("carriers/<slug:key>/events/", webhooks.carrier_events, name="carrier_events"),
]
