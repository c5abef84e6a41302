from django.urls import path

from piwarden.rights import views

app_name = "rights"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("cancel/", views.cancel, name="cancel"),
    path("verify/", views.verify, name="verify"),
    path("verify/code/", views.verify_code, name="verify_code"),
    path("<uuid:request_id>/", views.detail, name="detail"),
    path("<uuid:request_id>/withdraw/", views.withdraw, name="withdraw"),
]
