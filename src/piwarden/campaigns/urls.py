app_name = "campaigns"
urlpatterns = []
