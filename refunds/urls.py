from django.urls import path

from refunds import views

app_name = "support"
urlpatterns = [path("", views.support, name="search")]
