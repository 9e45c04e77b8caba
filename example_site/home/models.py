from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    intro = RichTextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]


class EventIndexPage(Page):
    intro = RichTextField(blank=True)
    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["wagtail_webinars.EventPage"]

    def get_context(self, request, *args, **kwargs):
        from wagtail_webinars.models import EventPage

        context = super().get_context(request, *args, **kwargs)
        context["events"] = (
            EventPage.objects.child_of(self)
            .live()
            .order_by("start")
            .only("title", "url_path", "start", "end")
        )
        return context
