"""Art. 20(2): sending a portability bundle straight to the subject's new controller.

An HTTPS POST of the zip (``application/zip``) with the bundle's SHA-256 in a header, retried
with backoff on network errors, 429 and 5xx, never on other 4xx. Plain ``http://`` only to
loopback (tests). The receiving side's reply (status, and its ``id``/``receipt`` if it sends
JSON) is returned for the audit trail.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import UserError


class _Retry(Exception):
    pass


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UserError(f"--send-to needs an https:// URL, not {url!r}")
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = parts.hostname == "localhost"
        if not loopback:
            raise UserError("--send-to must use https:// (personal data in transit)")
    return parts.hostname


def send_bundle(
    path: Path,
    url: str,
    *,
    request_id: int,
    sha256: str,
    attempts: int = 4,
    wait: float = 1.0,
    timeout: float = 60.0,
) -> dict[str, Any]:
    import httpx
    import tenacity

    host = check_url(url)

    def post() -> httpx.Response:
        with open(path, "rb") as fh:
            try:
                response = httpx.post(
                    url,
                    content=fh,
                    timeout=timeout,
                    headers={
                        "Content-Type": "application/zip",
                        "X-DSR-Bundle-SHA256": sha256,
                        "X-DSR-Request": str(request_id),
                    },
                )
            except httpx.TransportError as exc:
                raise _Retry(f"cannot reach {host}: {type(exc).__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise _Retry(f"{host} answered HTTP {response.status_code}")
        return response

    try:
        response = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential_jitter(multiplier=wait, max=30, jitter=wait),
            retry=tenacity.retry_if_exception_type(_Retry),
            reraise=True,
        )(post)
    except _Retry as exc:
        raise UserError(f"the bundle was written but not sent: {exc}") from None
    if response.status_code >= 300:
        raise UserError(
            f"the bundle was written but {host} refused it: HTTP {response.status_code}"
        )
    receipt = None
    try:
        body = response.json()
        if isinstance(body, dict):
            receipt = body.get("receipt") or body.get("id")
    except ValueError:
        pass
    return {
        "host": host,
        "status": response.status_code,
        "receipt": str(receipt)[:200] if receipt else None,
    }
