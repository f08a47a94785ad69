from django.urls import path

from . import report_views as views

# Included by insights/urls.py at "reports/" (namespace "insights").
urlpatterns: list = [
    path("networks/<int:network_id>/", views.network_reports, name="network_reports"),
    path(
        "networks/<int:network_id>/new/",
        views.request_network_report,
        name="request_network_report",
    ),
    path(
        "municipalities/<int:municipality_id>/",
        views.municipality_reports,
        name="municipality_reports",
    ),
    path(
        "municipalities/<int:municipality_id>/new/",
        views.request_municipality_report,
        name="request_municipality_report",
    ),
    path("<int:pk>/", views.report, name="report"),
    path("<int:pk>/progress/", views.report_progress, name="report_progress"),
    path("<int:pk>/download/", views.report_download, name="report_download"),
]
