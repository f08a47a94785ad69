from django.urls import path

from . import feeds, views

app_name = "prevention"

urlpatterns = [
    path("manage/", views.manage, name="manage"),
    path("manage/tips/new/", views.edit_tip, name="new_tip"),
    path("manage/tips/<int:pk>/", views.edit_tip, name="edit_tip"),
    path("manage/tips/<int:pk>/status/", views.tip_status, name="tip_status"),
    path("campaigns/new/", views.new_campaign, name="new_campaign"),
    path("campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("campaigns/<int:pk>/stop/", views.stop_campaign, name="stop_campaign"),
    path("tips/<int:pk>/image/", views.tip_image, name="tip_image"),
    path("<str:code>/", views.public, name="public"),
    path("<str:code>/tips/<int:pk>/", views.tip, name="tip"),
    path("<str:code>/feed.atom", feeds.zone_feed, name="feed"),
]
