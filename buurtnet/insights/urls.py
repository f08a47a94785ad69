from django.urls import include, path

app_name = "insights"
urlpatterns: list = [
    path("reports/", include("buurtnet.insights.report_urls")),
]
