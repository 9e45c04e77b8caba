from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from django.views.generic import TemplateView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from wagtail_webinars.graphql.views import graphql_view

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("events/", include("wagtail_webinars.urls")),
    path("graphql/", graphql_view, name="graphql"),
    # The example frontend: a static page that only talks to /graphql/.
    path("frontend/", TemplateView.as_view(template_name="frontend/events.html")),
    path("zoom-standin/", include("example_site.zoom_standin.urls")),
    path("", include(wagtail_urls)),
]
urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT) + urlpatterns
