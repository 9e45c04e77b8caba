"""The list a location block's field is picked from, read from the provider (a recurring
Zoom meeting's occurrences): JSON for the page editor's button (``ProviderChoiceInput``).

Provider-neutral: the provider named in the URL answers ``field_choices``; its words
say what went wrong. Any user who may edit some page may ask (the editor's own
screen), and the answer holds only what the editor would see in the provider.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET
from wagtail.admin.auth import user_has_any_page_permission

from ..providers import get_provider_class
from ..providers.errors import ProviderConfigurationError, ProviderError, UnsupportedOperation


@require_GET
def field_choices(request: HttpRequest, kind: str, field_name: str) -> JsonResponse:
    if not user_has_any_page_permission(request.user):
        raise PermissionDenied
    try:
        provider_class = get_provider_class(kind)
    except ProviderConfigurationError as err:
        raise Http404 from err
    block = provider_class.build_block()
    location = {}
    for name, child in block.child_blocks.items():
        if name in request.GET:
            try:
                location[name] = child.clean(request.GET[name])
            except ValidationError as err:  # the block's own "this is not an ID"
                return JsonResponse({"choices": [], "error": " ".join(err.messages)})
    provider = provider_class(location)
    try:
        choices = provider.field_choices(field_name)
    except UnsupportedOperation as err:
        raise Http404 from err
    except ProviderError as err:
        return JsonResponse({"choices": [], "error": provider.describe_error(err)})
    if not choices:
        summary = _("The provider lists nothing to pick from here.")
    else:
        summary = ngettext(
            "%(count)d to pick from: choose it in the field.",
            "%(count)d to pick from: choose one in the field.",
            len(choices),
        ) % {"count": len(choices)}
    return JsonResponse(
        {"choices": [{"value": v, "label": label} for v, label in choices], "summary": summary}
    )
