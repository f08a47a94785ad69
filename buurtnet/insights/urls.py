from django.urls import include, path

from . import views

app_name = "insights"
urlpatterns: list = [
    path("reports/", include("buurtnet.insights.report_urls")),
    path("", views.dashboard, name="dashboard"),
    path("dashboard.csv", views.dashboard_csv, name="csv"),
    path("networks/<int:network_id>/", views.network, name="network"),
    path("networks/<int:network_id>/dashboard.csv", views.network_csv, name="network_csv"),
    path("zones/<int:zone_id>/", views.zone, name="zone"),
    path("zones/<int:zone_id>/dashboard.csv", views.zone_csv, name="zone_csv"),
]
