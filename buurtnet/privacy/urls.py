from django.urls import path

from . import views

app_name = "privacy"

# No URL here takes a person's id: every page acts on the logged-in person only.
urlpatterns = [
    path("my-data/", views.my_data, name="my_data"),
    path("my-data.json", views.my_data_json, name="my_data_json"),
    path("erase/", views.erase, name="erase"),
    path("consents/<str:kind>/withdraw/", views.withdraw, name="withdraw"),
    path("consents/<str:kind>/give/", views.give, name="give"),
]
