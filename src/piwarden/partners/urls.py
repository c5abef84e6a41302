from django.urls import path

from piwarden.partners import views

app_name = "partners"
urlpatterns = [
    path("sources/", views.sources, name="sources"),
]
