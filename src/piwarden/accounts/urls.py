from django.urls import path

from piwarden.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.sign_up, name="signup"),
    path("login/", views.log_in, name="login"),
    path("logout/", views.log_out, name="logout"),
    path("logout-all/", views.log_out_everywhere, name="logout_all"),
    path("verify/", views.verify, name="verify"),
    path("reauth/", views.reauth, name="reauth"),
    path("reveal/<str:field>/", views.reveal, name="reveal"),
    path("edit/<str:field>/", views.edit_field, name="edit"),
    path("address/", views.address, name="address"),
    path("contact/<str:channel>/", views.change_contact, name="contact"),
    path("password/", views.password, name="password"),
    path("avatar/", views.avatar, name="avatar"),
    path("avatar/image/", views.avatar_image, name="avatar_image"),
    path("id/", views.id_info, name="id_info"),
    path("guardian/<str:token>/", views.guardian, name="guardian"),
    path("history/", views.history, name="history"),
    path("services/", views.service_list, name="services"),
    path("security/", views.security, name="security"),
    path("security/2fa/", views.totp, name="totp"),
    path("security/tokens/", views.tokens, name="tokens"),
]
