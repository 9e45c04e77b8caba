app_name = "zoom_standin"
urlpatterns: list = []
