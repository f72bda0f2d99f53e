"""Webhook notices: a signed JSON POST per Standard Webhooks, with bounded, polite retries.

Every attempt of a notice carries the same ``webhook-id`` (``msg_<notice id>``, also on a
resend days later) and the same body, so the supplier can drop duplicates; each attempt gets a
fresh ``webhook-timestamp`` and signature. Retried: network errors, timeouts, 429 and 5xx
(exponential backoff with jitter, or the reply's ``Retry-After`` capped at
``max_retry_after``), at most ``max_attempts`` attempts in all. Not retried: other 4xx and
3xx (permanent), 410 Gone (permanent, and the endpoint should be disabled).

A 2xx reply confirms the notice when its JSON says the work is done (see
:func:`~dsr_plugins.suppliers.payload.read_reply`); any other 2xx means delivered, not yet
confirmed. Plain ``http://`` is refused except to loopback addresses (tests, local relays) or
with ``allow_insecure_http``: notices carry the subject's identities.
"""

from __future__ import annotations

import ipaddress
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
import tenacity

from .message import Controller, DeliveryProtocol, DeliveryResult, Notice, Supplier
from .payload import build_body, read_reply
from .signing import check_signature, secret_key, sign, signature_headers, verify_signature

__all__ = [
    "WebhookTransport",
    "check_signature",
    "parse_retry_after",
    "sign",
    "signature_headers",
    "verify_signature",
]

log = structlog.get_logger(__name__)

#: Transport errors worth another attempt; the rest (bad URL, unsupported scheme...) are ours.
_TRANSIENT_ERRORS = (
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    httpx.ProxyError,
)


class _RetryableStatus(Exception):
    """A 429 or 5xx reply: worth another attempt, after ``retry_after`` seconds if given."""

    def __init__(self, response: httpx.Response, retry_after: float | None) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response
        self.retry_after = retry_after


def _is_transient(exc: BaseException) -> bool:
    return isinstance(exc, (_RetryableStatus, *_TRANSIENT_ERRORS))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or ``None``.

    A date in the past gives 0; an unreadable value gives ``None`` (use the normal backoff).
    """
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _failure(error: str, *, permanent: bool, **detail: Any) -> DeliveryResult:
    return DeliveryResult(delivered=False, permanent=permanent, error=error, detail=detail)


@dataclass(slots=True)
class WebhookTransport:
    """Delivers notices to ``webhook`` and ``opendsr`` suppliers over HTTPS.

    ``timeout``: seconds per attempt (connect, read, write, pool each). ``max_attempts``: in
    all, first one included. Backoff before attempt *n+1*: ``backoff_initial * 2**(n-1)`` plus
    up to ``backoff_jitter`` random seconds, at most ``backoff_max``; a ``Retry-After`` reply
    header replaces it, capped at ``max_retry_after``. ``controller`` (optional) is named in
    ``webhook`` bodies. ``client``: an ``httpx.Client`` to reuse (else one per send);
    ``clock`` and ``sleep`` are for tests.
    """

    controller: Controller | None = None
    timeout: float = 15.0
    max_attempts: int = 5
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    backoff_jitter: float = 1.0
    max_retry_after: float = 120.0
    allow_insecure_http: bool = False
    user_agent: str = "dsr-supplier-notices/0.1"
    client: httpx.Client | None = field(default=None, repr=False)
    clock: Callable[[], float] = field(default=time.time, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.timeout <= 0 or self.max_retry_after < 0:
            raise ValueError("timeout must be positive and max_retry_after not negative")

    # -- checks before anything goes on the wire ------------------------------------------

    def _refusal(self, supplier: Supplier) -> str | None:
        """Why this supplier cannot get a webhook notice, or ``None``."""
        if supplier.protocol is DeliveryProtocol.EMAIL:
            return f"supplier {supplier.name!r} receives notices by e-mail, not by webhook"
        url = supplier.webhook_url or ""
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            return f"webhook URL of supplier {supplier.name!r} is not an http(s) URL"
        if parts.scheme == "http" and not (
            self.allow_insecure_http or _is_loopback(parts.hostname)
        ):
            return f"refusing plain http:// for supplier {supplier.name!r}: use https"
        if not supplier.webhook_secret:
            return f"no webhook secret configured for supplier {supplier.name!r}"
        try:
            secret_key(supplier.webhook_secret)
        except ValueError as exc:
            return f"webhook secret of supplier {supplier.name!r}: {exc}"
        return None

    # -- one attempt and the retry policy -------------------------------------------------

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, _RetryableStatus) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after)
        exponential = self.backoff_initial * 2.0 ** (state.attempt_number - 1)
        return min(self.backoff_max, exponential + random.uniform(0, self.backoff_jitter))

    def _post(
        self, client: httpx.Client, url: str, body: bytes, secret: str, webhook_id: str
    ) -> httpx.Response:
        headers = {
            "content-type": "application/json",
            "accept": "application/json",
            "user-agent": self.user_agent,
            **signature_headers(secret, webhook_id, body, timestamp=int(self.clock())),
        }
        response = client.post(url, content=body, headers=headers, timeout=self.timeout)
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock())
            raise _RetryableStatus(response, retry_after)
        return response

    def send(self, notice: Notice, supplier: Supplier) -> DeliveryResult:
        """POSTs the signed notice; never raises for delivery problems, reports them."""
        refusal = self._refusal(supplier)
        if refusal is not None:
            return _failure(refusal, permanent=True)
        url = supplier.webhook_url or ""
        secret = supplier.webhook_secret or ""
        body = build_body(notice, supplier.protocol, url, self.controller)
        attempts = 0

        def attempt(client: httpx.Client) -> httpx.Response:
            nonlocal attempts
            attempts += 1
            return self._post(client, url, body, secret, notice.webhook_id)

        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            log.warning(
                "supplier_notice_webhook_retry",
                notice_id=notice.notice_id,
                supplier=supplier.name,
                attempt=state.attempt_number,
                reason=str(exc) if isinstance(exc, _RetryableStatus) else type(exc).__name__,
                wait=round(state.upcoming_sleep, 3),
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=tenacity.retry_if_exception(_is_transient),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        base = {"webhook_id": notice.webhook_id}
        try:
            if self.client is not None:
                response = retrying(attempt, self.client)
            else:
                with httpx.Client(follow_redirects=False) as client:
                    response = retrying(attempt, client)
        except _RetryableStatus as exc:
            code = exc.response.status_code
            result = _failure(
                f"HTTP {code} {exc.response.reason_phrase} after {attempts} attempt(s)",
                permanent=False,
                status_code=code,
                attempts=attempts,
                **base,
            )
        except _TRANSIENT_ERRORS as exc:
            result = _failure(
                f"{type(exc).__name__} after {attempts} attempt(s)",
                permanent=False,
                attempts=attempts,
                **base,
            )
        except httpx.HTTPError as exc:
            result = _failure(
                f"cannot send to the webhook: {type(exc).__name__}",
                permanent=True,
                attempts=attempts,
                **base,
            )
        else:
            result = self._result(response, supplier.protocol, attempts, base)
        log.info(
            "supplier_notice_webhook",
            notice_id=notice.notice_id,
            supplier=supplier.name,
            delivered=result.delivered,
            confirmed=result.confirmed,
            permanent=result.permanent,
            attempts=attempts,
            status_code=result.detail.get("status_code"),
        )
        return result

    @staticmethod
    def _result(
        response: httpx.Response, protocol: DeliveryProtocol, attempts: int, base: dict[str, Any]
    ) -> DeliveryResult:
        code = response.status_code
        detail: dict[str, Any] = {"status_code": code, "attempts": attempts, **base}
        if 200 <= code < 300:
            try:
                payload = json.loads(response.content) if response.content else None
            except ValueError:
                payload = None
            confirmed, facts = read_reply(payload, protocol)
            return DeliveryResult(delivered=True, confirmed=confirmed, detail={**detail, **facts})
        if code == 410:
            return DeliveryResult(
                delivered=False,
                disable_endpoint=True,
                permanent=True,
                error="HTTP 410 Gone: the supplier retired this webhook endpoint",
                detail=detail,
            )
        return _failure(f"HTTP {code} {response.reason_phrase}", permanent=True, **detail)
