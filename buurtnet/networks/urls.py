from django.urls import path

from . import views

app_name = "networks"
urlpatterns = [
    path("join/", views.join, name="join"),
    path("join/location/", views.location, name="location"),
    path("join/<int:network_id>/", views.apply, name="apply"),
    path("networks/<int:network_id>/", views.detail, name="detail"),
    path("networks/<int:network_id>/members/", views.members, name="members"),
    path("networks/<int:network_id>/applications/", views.applications, name="applications"),
    path(
        "networks/<int:network_id>/applications/<int:membership_id>/decide/",
        views.decide,
        name="decide",
    ),
    path(
        "memberships/<int:membership_id>/<str:action>/",
        views.membership_action,
        name="membership_action",
    ),
    path("zones/<str:code>/", views.zone_map, name="zone_map"),
    path("zones/<str:code>/areas.geojson", views.zone_areas, name="zone_areas"),
    path("places/nearest/", views.nearest_address, name="nearest_address"),
]
