from django.urls import path

from piwarden.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("login/", views.partner_login, name="login"),
    path("logout/", views.partner_logout, name="logout"),
    path("<int:campaign_id>/entries/new/", views.new_entry, name="new_entry"),
    path("mine/", views.mine, name="mine"),
    path("mine/<str:kind>/<uuid:record_id>/", views.record_detail, name="record"),
]
