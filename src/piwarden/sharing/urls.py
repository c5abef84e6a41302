from django.urls import path

app_name = "sharing"

urlpatterns: list = []
