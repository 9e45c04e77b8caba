"""The webhook endpoint: verify, record once, queue, answer.

Providers want an answer within seconds (Zoom: 3), so nothing is handled here:
the delivery is verified by its provider, stored with an idempotency key (the
provider's retries of one delivery carry the same body, so the same key: the
second is answered and dropped) and one task is queued with its primary key.

Fails closed: no secret configured, no signature, a wrong or old one, all refused
(401/403) with nothing processed; what cannot be read is a 400. A refusal is
recorded without the body (a line for staff, nothing a stranger sent us).
"""

from __future__ import annotations

import hashlib
import logging

from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import jobs
from ..models import WebhookDelivery
from ..providers import provider_classes
from ..providers.base import EVENT_CHALLENGE
from ..providers.errors import ProviderConfigurationError, WebhookRefused

logger = logging.getLogger(__name__)

#: Larger deliveries are refused unread (Zoom's are a few kilobytes).
MAX_BODY_BYTES = 64 * 1024

Outcome = WebhookDelivery.Outcome


def webhook_provider(name: str):
    """The provider class that receives the webhooks named ``name``, or ``None``."""
    try:
        classes = provider_classes().values()
    except ProviderConfigurationError:
        return None
    return next((cls for cls in classes if name and cls.webhook_name == name), None)


def _read_body(request: HttpRequest) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise WebhookRefused(400, "delivery too large")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRefused(400, "delivery too large")
    return body


def _refused(name: str, err: WebhookRefused) -> JsonResponse:
    WebhookDelivery.objects.create(
        provider=name[:32], outcome=Outcome.REFUSED, message=err.reason[:300]
    )
    logger.info("webhook delivery for %s refused: %s", name, err.reason)
    return JsonResponse({"error": err.reason}, status=err.status)


@csrf_exempt
@require_POST
def receive(request: HttpRequest, name: str) -> JsonResponse:
    provider_class = webhook_provider(name)
    if provider_class is None:
        raise Http404
    now = timezone.now()
    try:
        body = _read_body(request)
        provider_class.verify_webhook(request.headers, body, now)
        event = provider_class.parse_webhook(body)
    except WebhookRefused as err:
        return _refused(name, err)
    if event.kind == EVENT_CHALLENGE:
        return JsonResponse(provider_class.webhook_challenge_answer(event))

    record = {
        "provider": name[:32],
        "event_type": event.name[:64],
        "occurred_at": event.occurred_at,
        "meeting_id": event.meeting_id[:20],
        "key": hashlib.sha256(name.encode() + b":" + body).hexdigest(),
    }
    if not event.kind:
        # Verified, but not something we act on (an event the app subscribed to that
        # this version does not handle): on record, nothing queued.
        record.update(outcome=Outcome.IGNORED, processed_at=now)
    else:
        record.update(outcome=Outcome.QUEUED, payload=event.as_dict())
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(**record)
    except IntegrityError:
        # The provider sent this very delivery again (its retries): already recorded.
        return JsonResponse({"status": Outcome.DUPLICATE})
    if delivery.outcome == Outcome.QUEUED:
        jobs.enqueue(jobs.HANDLE_WEBHOOK, delivery.pk)
    return JsonResponse({"status": delivery.outcome})
