from django.urls import path

from piwarden.consent import views

app_name = "consent"

urlpatterns = [
    path("choices/", views.choices, name="choices"),
    path("cookies/", views.cookies, name="cookies"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
