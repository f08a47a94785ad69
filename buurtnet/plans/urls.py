from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("bin/<int:network_id>/", views.plan, name="plan"),
    path("bin/<int:network_id>/v<int:version>/", views.plan, name="version"),
    path("bin/<int:network_id>/edit/", views.edit, name="edit"),
    path("bin/<int:network_id>/v<int:version>/approve/", views.approve, name="approve"),
    path("zone/<int:zone_id>/template/", views.zone_template, name="zone_template"),
]
