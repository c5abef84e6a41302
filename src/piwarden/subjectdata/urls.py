from django.urls import path

from piwarden.subjectdata import views

app_name = "subjectdata"
urlpatterns = [
    path("exports/<uuid:archive_id>/", views.export, name="export"),
    path("certificates/<uuid:run_id>/", views.certificate, name="certificate"),
    path("certificates/link/<str:token>/", views.certificate_link, name="certificate_link"),
]
