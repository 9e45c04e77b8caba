"""Publishing an event: the provider's word before the page goes live.

When an editor presses Publish, the page form asks the event's provider whether it
has what the location block names (:meth:`Provider.check_before_publish`). What the
provider says is wrong (Zoom has no such meeting, or has it as a webinar) is an
error on the block's field: the form is invalid, so nothing is saved and the editor
sees where to look. A draft never asks (drafts must save whatever the provider
says), and an outage never stops a publish: the fill on publish warns instead.

The check runs in the form because only the form can put an error on a field and
keep the page unsaved; Wagtail's ``before_publish_page`` hook runs after the
revision is saved. What the check read is kept on the page object the view goes on
to publish, so the fill (:func:`event_details.refresh_event`) does not ask again.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from wagtail.blocks.stream_block import StreamBlockValidationError
from wagtail.blocks.struct_block import StructBlockValidationError

from .providers import get_provider_class
from .providers.base import PublishCheck

#: The attribute of the page that holds ``(block type, external id, PublishCheck)``.
CHECK_ATTRIBUTE = "_webinars_publish_check"


def is_publishing(form) -> bool:
    """Whether the admin page form was posted with Publish by someone who may publish
    (Wagtail saves a draft for anyone else)."""
    if not form.data.get("action-publish"):
        return False
    user = getattr(form, "for_user", None)
    if user is None:
        return False
    page = form.instance
    if page.pk is None:
        parent = getattr(form, "parent_page", None)
        return parent is not None and parent.permissions_for_user(user).can_publish_subpage()
    return page.permissions_for_user(user).can_publish()


def check_location(form, field_name: str = "location") -> None:
    """Ask the provider about the posted location block; refusals become field errors."""
    if field_name in form.errors or not is_publishing(form):
        return
    stream = form.cleaned_data.get(field_name)
    if not stream:
        return
    child = stream[0]
    provider_class = get_provider_class(child.block_type)
    if not provider_class.can_push_registrants:
        return
    provider = provider_class(dict(child.value), event=form.instance)
    check = provider.check_before_publish()
    setattr(form.instance, CHECK_ATTRIBUTE, (child.block_type, provider.external_id, check))
    if check.errors:
        field_errors = {
            name: ValidationError(message, code="provider")
            for name, message in check.errors.items()
        }
        form.add_error(
            field_name,
            StreamBlockValidationError(
                block_errors={0: StructBlockValidationError(block_errors=field_errors)}
            ),
        )


def checked_answer(page, kind: str, external_id: str) -> PublishCheck | None:
    """The check the page form just made for this very block, once (then forgotten)."""
    kept = page.__dict__.pop(CHECK_ATTRIBUTE, None)
    if kept is None or kept[0] != kind or kept[1] != external_id:
        return None
    return kept[2]
