from django.urls import path

from piwarden.payments import views

app_name = "payments"
urlpatterns = [
    path("", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/delete/", views.delete_profile, name="delete_profile"),
    path("orders/<str:reference>/cancel/", views.cancel_order, name="cancel_order"),
    path("refund/", views.refund, name="refund"),
]
