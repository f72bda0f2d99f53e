"""A small client for Hudu's REST API (``<url>/api/v1``, ``x-api-key`` header).

- Lists are pages: ``?page=1&page_size=N`` answered as ``{"<resource>": [...]}``. A page may
  be shorter than asked for when the server caps ``page_size``, so paging stops only at an
  empty page or one shorter than the first; a full page that repeats the previous one is
  refused (a short one ends the list: the server ignores ``page``).
- 401/403: the key is refused (:class:`HuduAuthError`, never retried); 404: the record is not
  there (``None`` / ``False`` to the caller); other 4xx: :class:`PermanentError`;
  429 and 5xx, timeouts, lost connections: retried (see :mod:`.retry`), ``Retry-After``
  honoured up to ``backoff_max``.

The key is only ever in the request header: never logged, never in a message.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dsr_core.retry import RetryableError, RetryPolicy, parse_retry_after
from dsr_core.systems import PermanentError

if TYPE_CHECKING:
    import httpx

USER_AGENT = "dsr (GDPR data-subject requests)"
MAX_PAGES = 10_000


class HuduAuthError(PermanentError):
    """Hudu refused the API key."""


class HuduClient:
    """One Hudu instance."""

    def __init__(self, url: str, api_key: str, policy: RetryPolicy, page_size: int) -> None:
        import httpx

        self.policy = policy
        self.page_size = page_size
        self.http = httpx.Client(
            base_url=f"{url.rstrip('/')}/api/v1",
            timeout=policy.timeout,
            follow_redirects=False,
            headers={"x-api-key": api_key, "Accept": "application/json", "User-Agent": USER_AGENT},
        )
        weakref.finalize(self, self.http.close)

    # -- one exchange -----------------------------------------------------------------------
    def _once(
        self, method: str, path: str, params: Mapping[str, Any] | None, what: str
    ) -> httpx.Response:
        import httpx

        try:
            response = self.http.request(method, path, params=dict(params or {}))
        except httpx.TimeoutException:
            raise RetryableError(f"hudu: {what} timed out", reason="timeout") from None
        except httpx.TransportError as exc:
            raise RetryableError(
                f"hudu: {what}: connection failed ({type(exc).__name__})", reason="connection"
            ) from None
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetryableError(
                f"hudu: {what} failed (HTTP {status})",
                reason=f"HTTP {status}",
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if status in (401, 403):
            raise HuduAuthError(f"hudu: the API key was refused (HTTP {status}); check api_key")
        if status >= 400 and status != 404:
            raise PermanentError(f"hudu: {what} failed (HTTP {status})")
        return response

    def _request(
        self, method: str, path: str, params: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        what = f"{method} {path}"
        return self.policy.run(lambda: self._once(method, path, params, what), what)

    # -- the verbs --------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The decoded body, or None for a 404."""
        response = self._request("GET", path, params)
        if response.status_code == 404:
            return None
        try:
            return response.json()
        except ValueError:
            raise PermanentError(f"hudu: GET {path} answered something that is not JSON") from None

    def delete(self, path: str) -> bool:
        """True when deleted, False when it was not there (404)."""
        return self._request("DELETE", path).status_code != 404

    def pages(self, path: str, key: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every item of a paginated list, page by page."""
        first_length: int | None = None
        previous: list[Any] | None = None
        for page in range(1, MAX_PAGES + 1):
            body = self.get(path, {**(params or {}), "page": page, "page_size": self.page_size})
            items = _items(body, key, path)
            if not items:
                return
            if previous is not None and _ids(items) == _ids(previous):
                if len(items) < self.page_size:
                    return  # the server ignores `page` and sent everything each time
                raise PermanentError(f"hudu: GET {path} repeats the same page; paging stopped")
            yield from items
            if first_length is None:
                first_length = len(items)
            elif len(items) < first_length:
                return  # shorter than a full page: the last one
            previous = items
        raise PermanentError(f"hudu: GET {path} has more than {MAX_PAGES} pages")


def _items(body: Any, key: str, path: str) -> list[Any]:
    if body is None:
        return []
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        value = body.get(key)
        if value is None:
            return []
        if isinstance(value, list):
            return value
    raise PermanentError(f"hudu: GET {path} answered without a {key!r} list")


def _ids(items: list[Any]) -> list[Any]:
    return [item.get("id") if isinstance(item, dict) else item for item in items]
