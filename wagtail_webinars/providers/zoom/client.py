"""HTTP plumbing for Zoom's REST API: Server-to-Server OAuth, one session, errors, paging.

Provider code (:mod:`wagtail_webinars.providers.zoom.provider`) only says which
endpoint to call; everything that is the same for every call lives here:

* the access token, cached in Django's cache (shared by web and worker
  processes) until shortly before it expires, with a cache-add lock so that a
  crowd of workers does not all ask Zoom for a token at once;
* one retry after a 401 (Zoom code 124: expired or revoked token) with a fresh
  token; a second 401 means the credentials are wrong;
* one ``requests.Session``, (connect, read) timeouts on every call, our User-Agent;
* Zoom's error bodies turned into :class:`ProviderAPIError` with the status,
  Zoom's code and message, whether a retry may help, and when (``Retry-After``
  and the rate-limit headers). We never sleep on a 429: the caller reschedules.

Secrets (client secret, access tokens) never go into log lines or error messages.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.core.cache import cache
from django.utils.translation import gettext as _

from wagtail_webinars import __version__
from wagtail_webinars.conf import ZOOM_CREDENTIAL_SETTINGS, get_setting

from ..errors import ProviderAPIError, ProviderAuthError, ProviderConfigurationError
from . import answers

logger = logging.getLogger(__name__)

USER_AGENT = f"wagtail-webinars/{__version__}"
#: Zoom's largest page for registrant lists and participant reports.
MAX_PAGE_SIZE = 300
#: Renew the token this long before Zoom says it expires (clock skew, slow calls).
TOKEN_EXPIRY_MARGIN_SECONDS = 120
#: How long one process may hold the refresh lock.
TOKEN_LOCK_SECONDS = 30
#: How long a process waits for another one's refresh before asking Zoom itself.
#: Zoom lets several tokens coexist, so giving up early is safe, just wasteful.
TOKEN_WAIT_SECONDS = 3.0
TOKEN_POLL_SECONDS = 0.05

_session: requests.Session | None = None


class ZoomAPIError(ProviderAPIError):
    """An error answer from Zoom's API.

    ``rate_limit_type`` is Zoom's ``X-RateLimit-Type`` on a 429 (``"QPS"`` or
    ``"Daily-limit"``; ``""`` when absent): a daily limit on one registrant says
    nothing about the others in the same batch.
    """

    def __init__(self, message: str, *, rate_limit_type: str = "", **kwargs: Any):
        super().__init__(message, **kwargs)
        self.rate_limit_type = rate_limit_type


def get_session() -> requests.Session:
    """The one session (connection pool) every Zoom call goes through, made on first use."""
    global _session
    if _session is None:
        session = requests.Session()
        session.headers["User-Agent"] = USER_AGENT
        _session = session
    return _session


@dataclass(frozen=True)
class ZoomCredentials:
    account_id: str
    client_id: str
    client_secret: str = field(repr=False)


def credentials_from_settings() -> ZoomCredentials:
    """The Server-to-Server OAuth credentials, or a configuration error naming what is missing."""
    values = {name: get_setting(name) for name in ZOOM_CREDENTIAL_SETTINGS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise ProviderConfigurationError(
            _(
                "Zoom credentials are not configured: set %(settings)s (or the environment "
                "variables of the same names)."
            )
            % {"settings": ", ".join(f"WAGTAIL_WEBINARS['{name}']" for name in missing)}
        )
    return ZoomCredentials(
        account_id=str(values["ZOOM_ACCOUNT_ID"]),
        client_id=str(values["ZOOM_CLIENT_ID"]),
        client_secret=str(values["ZOOM_CLIENT_SECRET"]),
    )


def _timeout_setting() -> tuple[float, float]:
    value = get_setting("ZOOM_TIMEOUT")
    if isinstance(value, int | float):
        return (float(value), float(value))
    connect, read = value
    return (float(connect), float(read))


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds until Zoom wants to hear from us again, or ``None`` if it did not say.

    ``Retry-After`` comes as seconds, an HTTP date or (Zoom's habit) an ISO date
    such as ``2020-05-31T00:00:00Z``. Without it, a daily-limit answer means
    "after midnight UTC", when Zoom resets the counters.
    """
    now = now or datetime.now(UTC)
    lowered = {str(k).lower(): v for k, v in headers.items()}
    value = (lowered.get("retry-after") or "").strip()
    if value:
        if value.replace(".", "", 1).isdigit():
            return max(float(value), 0.0)
        when = None
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max((when - now).total_seconds(), 0.0)
    kind = (lowered.get("x-ratelimit-type") or "").strip().lower()
    if kind == "daily-limit":
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return max((midnight - now).total_seconds(), 0.0)
    if kind == "qps":
        return 1.0
    return None


class ZoomClient:
    """Talks to Zoom's API with one account's credentials. Cheap to build; build one per job."""

    def __init__(
        self,
        credentials: ZoomCredentials | None = None,
        *,
        api_url: str | None = None,
        oauth_url: str | None = None,
        timeout: tuple[float, float] | None = None,
        session: requests.Session | None = None,
        wait: Callable[[float], None] = time.sleep,
    ):
        self.credentials = credentials or credentials_from_settings()
        self.api_url = (api_url or get_setting("ZOOM_API_URL")).rstrip("/")
        self.oauth_url = oauth_url or get_setting("ZOOM_OAUTH_URL")
        self.timeout = timeout or _timeout_setting()
        self.session = session or get_session()
        self._wait = wait
        #: Access tokens this client sent (scrubbed from any message Zoom echoes).
        self._tokens_sent: set[str] = set()

    # -- token ---------------------------------------------------------------------
    @property
    def _cache_key(self) -> str:
        # Keyed by account and app, never by the secret itself.
        ident = f"{self.oauth_url}|{self.credentials.account_id}|{self.credentials.client_id}"
        return "wagtail_webinars:zoom_token:" + hashlib.sha256(ident.encode()).hexdigest()[:24]

    def _token(self, stale: str | None = None) -> tuple[str, str]:
        """``(access_token, api_base)``, from the cache when it holds a live one.

        ``stale`` is a token Zoom just refused: it is dropped from the cache unless
        another process already replaced it.
        """
        key = self._cache_key
        cached = cache.get(key)
        if cached and cached["access_token"] != stale:
            return cached["access_token"], cached["api_base"]
        if cached:
            cache.delete(key)
        lock_key = key + ":lock"
        if not cache.add(lock_key, "1", TOKEN_LOCK_SECONDS):
            # Another process is fetching one: wait briefly for it instead of
            # asking Zoom for a second token (this is not a rate-limit sleep).
            waited = 0.0
            while waited < TOKEN_WAIT_SECONDS:
                self._wait(TOKEN_POLL_SECONDS)
                waited += TOKEN_POLL_SECONDS
                cached = cache.get(key)
                if cached and cached["access_token"] != stale:
                    return cached["access_token"], cached["api_base"]
            return self._fetch_and_store(key)
        try:
            return self._fetch_and_store(key)
        finally:
            cache.delete(lock_key)

    def sign_in(self) -> dict[str, Any]:
        """A fresh token (kept for the calls that follow) and what Zoom said with it:
        ``{"scope", "api_base", "expires_in"}``, never the token itself."""
        data = self._fetch_token()
        _token, api_base = self._store(self._cache_key, data)
        return {
            "scope": answers.text(data.get("scope")),
            "api_base": api_base,
            "expires_in": data.get("expires_in"),
        }

    def _fetch_and_store(self, key: str) -> tuple[str, str]:
        return self._store(key, self._fetch_token())

    def _store(self, key: str, data: dict) -> tuple[str, str]:
        token = answers.text(data.get("access_token"))
        if not token:
            raise ProviderAPIError(
                _("Zoom's sign-in answer has no access token"), transient=True, ours=True
            )
        api_base = self.api_url
        if isinstance(data.get("api_url"), str) and data["api_url"]:
            # The token tells us the account's regional API host, bare (no /v2).
            api_base = str(data["api_url"]).rstrip("/")
            if not api_base.endswith("/v2"):
                api_base += "/v2"
        expires_in = answers.integer(data.get("expires_in")) or 3600
        lifetime = max(expires_in - TOKEN_EXPIRY_MARGIN_SECONDS, 1)
        cache.set(key, {"access_token": token, "api_base": api_base}, lifetime)
        return token, api_base

    def _fetch_token(self) -> dict:
        creds = self.credentials
        try:
            response = self.session.post(
                self.oauth_url,
                data={"grant_type": "account_credentials", "account_id": creds.account_id},
                auth=(creds.client_id, creds.client_secret),
                timeout=self.timeout,
                headers={"Accept": "application/json"},
            )
        except requests.Timeout as err:
            raise ProviderAPIError(
                _("its sign-in service did not answer in time"), transient=True, ours=True
            ) from err
        except requests.RequestException as err:
            raise ProviderAPIError(
                _("the connection to its sign-in service failed (%(error)s)")
                % {"error": type(err).__name__},
                transient=True,
                ours=True,
            ) from err
        logger.info("zoom token request -> HTTP %s", response.status_code)
        if response.status_code >= 400:
            body = _json_or_empty(response)
            code = body.get("code") or body.get("error")
            message = self._scrub(
                str(body.get("reason") or body.get("message") or response.reason or "error")
            )
            if response.status_code in (400, 401, 403):
                raise ProviderAuthError(
                    message,
                    status=response.status_code,
                    code=code,
                )
            raise ProviderAPIError(
                message,
                status=response.status_code,
                code=code,
                retry_after=parse_retry_after(response.headers),
                transient=response.status_code == 429 or response.status_code >= 500,
            )
        return _json_or_empty(response)

    # -- requests ------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """Call ``path`` (e.g. ``/meetings/123``); return the JSON answer, ``None`` for 204."""
        token, base = self._token()
        response = self._send(method, base + path, token, params, json)
        if response.status_code == 401:
            # Expired or revoked token (Zoom code 124): one fresh token, one retry.
            token, base = self._token(stale=token)
            response = self._send(method, base + path, token, params, json)
            if response.status_code == 401:
                raise self._error(response, method, path, auth=True)
        if response.status_code >= 400:
            raise self._error(response, method, path)
        if response.status_code == 204 or not response.content:
            return None
        try:
            data = response.json()
        except ValueError as err:
            raise answers.unreadable(response.status_code) from err
        if not isinstance(data, dict):
            # Every endpoint we call answers an object: anything else is not Zoom's answer.
            raise answers.unreadable(response.status_code)
        return data

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params)

    def paginate(
        self, path: str, items_key: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict]:
        """Every item of a paged list, following ``next_page_token`` with the largest pages."""
        query = {**(params or {}), "page_size": MAX_PAGE_SIZE}
        while True:
            data = self.get(path, params=query) or {}
            yield from answers.objects(data.get(items_key))
            next_token = answers.text(data.get("next_page_token"))
            if not next_token:
                return
            query["next_page_token"] = next_token

    def _send(self, method, url, token, params, json) -> requests.Response:
        self._tokens_sent.add(token)
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except requests.Timeout as err:
            raise ProviderAPIError(
                _("it did not answer in time"), transient=True, ours=True
            ) from err
        except requests.RequestException as err:
            raise ProviderAPIError(
                _("the connection failed (%(error)s)") % {"error": type(err).__name__},
                transient=True,
                ours=True,
            ) from err
        # Method, path (meeting ids only) and status: never bodies (names, emails) or headers.
        logger.info(
            "zoom %s %s -> HTTP %s",
            method,
            url.removeprefix(self.api_url),
            response.status_code,
        )
        return response

    def _error(self, response, method: str, path: str, auth: bool = False) -> ProviderAPIError:
        body = _json_or_empty(response)
        code = body.get("code")
        message = self._scrub(str(body.get("message") or response.reason or "error"))
        status = response.status_code
        logger.warning("zoom %s %s failed: HTTP %s, code %s", method, path, status, code)
        if auth and code != 4700:
            return ProviderAuthError(message, status=status, code=code)
        transient = status == 429 or status >= 500 or status == 408
        retry_after = parse_retry_after(response.headers) if status in (429, 503) else None
        rate_limit_type = ""
        if status == 429:
            rate_limit_type = str(response.headers.get("X-RateLimit-Type") or "")
        return ZoomAPIError(
            message,
            status=status,
            code=code,
            retry_after=retry_after,
            transient=transient,
            rate_limit_type=rate_limit_type,
        )

    def _scrub(self, text: str) -> str:
        """Zoom's message, safe to store and show: no credential, however it was echoed."""
        creds = self.credentials
        basic = base64.b64encode(f"{creds.client_id}:{creds.client_secret}".encode()).decode()
        return scrub(text, [creds.client_secret, basic, *self._tokens_sent])


#: Anything shaped like credentials in a header: ``Authorization: …``, ``Bearer …``,
#: ``Basic …`` (whatever the token looks like).
_CREDENTIAL_PATTERNS = [
    re.compile(r"""(?i)authorization["']?\s*[:=]\s*["']?[^\s,;"'}]+(\s+[^\s,;"'}]+)?"""),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+"),
]
#: Longer than any message of Zoom's: more is a body we should not keep.
MESSAGE_MAX = 300


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secrets, anything that looks like an Authorization
    header value, bearer token or basic credentials, and cut to :data:`MESSAGE_MAX`."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    for pattern in _CREDENTIAL_PATTERNS:
        text = pattern.sub("[redacted]", text)
    if len(text) > MESSAGE_MAX:
        text = text[: MESSAGE_MAX - 1] + "…"
    return text


def _json_or_empty(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def get_client() -> ZoomClient:
    """A client configured from the current settings."""
    return ZoomClient()
