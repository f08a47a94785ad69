from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.survey_list, name="list"),
    path("zone/<int:zone_id>/new/", views.new_survey, name="new"),
    path("<int:pk>/", views.survey_detail, name="survey"),
    path("<int:pk>/questions/", views.add_question, name="add_question"),
    path("questions/<int:pk>/", views.question, name="question"),
    path("<int:pk>/send/", views.send, name="send"),
    path("<int:pk>/close/", views.close, name="close"),
    path("rounds/<int:pk>/results/", views.round_results, name="results"),
    path("rounds/<int:pk>/answer/", views.answer, name="answer"),
    path("thanks/", views.thanks, name="thanks"),
]
