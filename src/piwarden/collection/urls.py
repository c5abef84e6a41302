app_name = "collection"
urlpatterns = []
