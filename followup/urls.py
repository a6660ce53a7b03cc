from django.urls import path

from followup import views

app_name = "followup"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("survey/<str:token>/<int:score>/", views.survey, name="survey"),
]
