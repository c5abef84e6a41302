from django.urls import path

from piwarden.policy import views

app_name = "policy"

urlpatterns = [
    path("policy/", views.current, name="current"),
    path("versions/", views.versions, name="versions"),
    path("v/<str:version>/", views.version, name="version"),
    path("v/<str:version>/diff/", views.diff, name="diff"),
]
