from django.urls import path

from piwarden.sites import views

app_name = "sites"

urlpatterns = [
    path("", views.index, name="index"),
]
