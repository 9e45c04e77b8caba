from django.apps import AppConfig


class SwappedPageConfig(AppConfig):
    name = "tests.swapped_page"
    label = "swapped_page"
    default_auto_field = "django.db.models.BigAutoField"
