"""An event page's submissions in Wagtail's Forms area (list, CSV/XLSX, delete),
under the registration policy: editing the page is not enough to see or delete
its registrations (deleting also cancels the person in Zoom).

The event page uses :class:`EventSubmissionsListView` (``get_submissions_list_view_class``);
:class:`EventSubmissionsDeleteView` answers Wagtail's delete URL (see ``wagtail_hooks.py``).
"""

from __future__ import annotations

import swapper
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from django_filters import DateFromToRangeFilter
from wagtail.admin.filters import DateRangePickerWidget
from wagtail.contrib.forms.views import (
    DeleteSubmissionsView,
    SubmissionsListFilterSet,
    SubmissionsListView,
)

from ..models.lookups import event_page_models
from ..permissions import DELETE, VIEW, registration_policy
from .exports import RegistrationExportMixin


class RegistrationsFilterSet(SubmissionsListFilterSet):
    date = DateFromToRangeFilter(
        label=gettext_lazy("Registered"),
        field_name="registered_at",
        widget=DateRangePickerWidget,
    )


class EventSubmissionsListView(RegistrationExportMixin, SubmissionsListView):
    # One "registered at" everywhere: the column, its order and the date filter read
    # registered_at (a re-registration moves it; Wagtail's submit_time stays put).
    filterset_class = RegistrationsFilterSet

    def get_ordering(self):
        return [order.replace("submit_time", "registered_at") for order in super().get_ordering()]

    def dispatch(self, request, *args, **kwargs):
        page = kwargs.get("form_page")
        if not registration_policy.user_can_for_event(request.user, VIEW, page):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class EventSubmissionsDeleteView(DeleteSubmissionsView):
    """Wagtail's "delete submissions" for a form page, with the registration policy
    for event pages. Other form pages keep Wagtail's rule."""

    def dispatch(self, request, *args, **kwargs):
        page = get_object_or_404(
            swapper.load_model("wagtailcore", "Page"), id=kwargs.get("page_id")
        )
        is_event = issubclass(page.specific_class or type(page), tuple(event_page_models()))
        if is_event and not registration_policy.user_can_for_event(request.user, DELETE, page):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
