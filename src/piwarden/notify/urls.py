from django.urls import path

from piwarden.notify import views

app_name = "notify"

urlpatterns = [
    path("", views.index, name="messages"),
    path("<int:delivery_id>/acknowledge/", views.acknowledge, name="acknowledge"),
]
