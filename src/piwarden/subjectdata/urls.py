app_name = "subjectdata"
urlpatterns = []
