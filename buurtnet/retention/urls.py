from django.urls import path

from . import views

app_name = "retention"

urlpatterns = [
    path("zone/<int:zone_id>/", views.zone_policy, name="zone_policy"),
]
