"""Talking to Odoo's external API: JSON-2 (Odoo 19+) or XML-RPC (before), behind one ``call``.

``call(model, method, ids=..., **params)`` runs one ORM method with named parameters:

- JSON-2: ``POST /json/2/<model>/<method>`` with ``Authorization: bearer <api key>``, the
  optional ``X-Odoo-Database`` header and the JSON body ``{"ids": [...], "context": {...},
  <param>: ...}``. Success is a 200 with the result; an error is a 4xx/5xx whose JSON body is
  ``{"name": "odoo.exceptions.UserError", "message": ..., "arguments": [...], "context": {},
  "debug": ...}`` (a ``UserError``/``ValidationError`` answers 422, ``AccessError`` 403,
  ``MissingError`` 404, a bad key 401).
- XML-RPC: ``/xmlrpc/2/common`` ``authenticate(db, login, key, {})`` once, then
  ``/xmlrpc/2/object`` ``execute_kw(db, uid, key, model, method, [ids], {params})``. Errors
  are faults, answered with HTTP 200: code 2 for a ``UserError``, 3 access denied, 4 access
  error, 1 anything else (with the server's traceback as the text).

Nothing the server says goes into an exception message: Odoo's texts can hold names (a
refusal may list the users linked to a contact). The text is kept on :class:`OdooError` for
classification only. The API key is never logged nor put into a message; the database is.

One retry policy per call, and the only one of the step: a call retries its transient failures
(the XML-RPC login included, inside the same attempts), then raises
:class:`~dsr_core.retry.RetriesExhausted`, which the engine does not retry again.
"""

from __future__ import annotations

import json
import re
import xmlrpc.client
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from dsr_core.retry import RetryableError, RetryPolicy, parse_retry_after
from dsr_core.systems import PermanentError

from .odoo_config import parse_major

if TYPE_CHECKING:
    import httpx

USER_AGENT = "dsr (GDPR data-subject requests)"

#: Texts with which Odoo refuses to delete a record that others still reference.
_REFUSAL = re.compile(
    r"cannot be deleted|can ?not (?:be )?delete|another model|is used in|referenced|"
    r"foreign key|archive it instead|troublemaker|linked to|still used",
    re.IGNORECASE,
)
_MISSING = re.compile(r"does not exist or has been deleted|MissingError", re.IGNORECASE)
#: Odoo's answers for a model the database does not have (JSON-2 NotFound; XML-RPC UserError).
_NO_MODEL = re.compile(r"the model '[\w.]+' does not exist|Object [\w.]+ doesn't exist")
#: psycopg2's text when the registry of a database that does not exist is loaded (XML-RPC).
_NO_DATABASE = re.compile(r'database "[^"]*" does not exist')


class OdooError(PermanentError):
    """Odoo answered a call with an error.

    ``status`` is the HTTP status (JSON-2) or None (XML-RPC fault); ``code`` the fault code
    (XML-RPC) or None; ``kind`` the short exception name (``UserError``, ``AccessError``...).
    ``server_text`` is Odoo's own message: used to classify, never shown or logged.
    """

    def __init__(
        self,
        what: str,
        *,
        status: int | None = None,
        code: int | None = None,
        kind: str = "",
        server_text: str = "",
        database: str | None = None,
    ) -> None:
        self.what = what
        self.status = status
        self.code = code
        self.kind = kind
        self.server_text = server_text
        answer = f"HTTP {status}" if status is not None else f"fault {code}"
        where = f" in database {database!r}" if database else ""
        super().__init__(f"odoo: {what} failed{where} ({answer}{', ' + kind if kind else ''})")

    @property
    def is_missing_model(self) -> bool:
        """The database has no such model (its app is not installed)."""
        return bool(_NO_MODEL.search(self.server_text))

    @property
    def is_user_error(self) -> bool:
        """A business refusal (``UserError`` and its kin such as ``ValidationError``)."""
        if self.status is not None:
            return self.status == 422
        return self.code == 2

    @property
    def refuses_delete(self) -> bool:
        """Odoo refused an ``unlink`` because other records (invoices...) reference it."""
        if self.is_missing or self.kind in ("AccessError", "AccessDenied"):
            return False
        if self.kind in ("UserError", "ValidationError", "IntegrityError"):
            return True
        return self.is_user_error or bool(_REFUSAL.search(self.server_text))

    @property
    def is_missing(self) -> bool:
        """The record is gone already (``MissingError``)."""
        return self.kind == "MissingError" or bool(_MISSING.search(self.server_text))


class OdooAuthError(PermanentError):
    """The API key or login was refused."""


class DatabaseMissing(PermanentError):
    """The server has no database by that name (or needs one named)."""


def database_missing(database: str | None, url: str) -> DatabaseMissing:
    if database:
        return DatabaseMissing(f"odoo: database {database!r} not found on {url}; check 'database'")
    return DatabaseMissing(
        f"odoo: {url} served no database for JSON-2 (HTTP 404): set 'database' or check 'url'"
    )


class Transport:
    """One protocol's way of running an ORM method. Subclasses implement :meth:`_call_once`."""

    protocol = ""

    def __init__(
        self, http: httpx.Client, url: str, policy: RetryPolicy, database: str | None = None
    ) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.policy = policy
        self.database = database

    def call(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None = None,
        context: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        """Run ``model.method`` with named ``params``; retries transient failures."""
        what = f"{model}.{method}"
        return self.policy.run(
            lambda: self._call_once(model, method, ids, dict(context or {}), params),
            what,
            final=True,
        )

    def login(self) -> None:
        """Check the credentials (and the database) now; JSON-2 has no separate login."""

    def _call_once(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None,
        context: dict[str, Any],
        params: dict[str, Any],
    ) -> Any:
        raise NotImplementedError

    def _post(self, path: str, what: str, **kwargs: Any) -> httpx.Response:
        """POST with transport failures turned into transient errors (no data in messages)."""
        import httpx

        try:
            response = self.http.post(f"{self.url}{path}", **kwargs)
        except httpx.TimeoutException:
            raise RetryableError(f"odoo: {what} timed out", reason="timeout") from None
        except httpx.TransportError as exc:
            raise RetryableError(
                f"odoo: {what}: connection failed ({type(exc).__name__})", reason="connection"
            ) from None
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableError(
                f"odoo: {what} failed (HTTP {response.status_code})",
                reason=f"HTTP {response.status_code}",
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        return response


class Json2Transport(Transport):
    """Odoo 19+: ``POST /json/2/<model>/<method>`` with a bearer API key."""

    protocol = "json2"

    def __init__(
        self,
        http: httpx.Client,
        url: str,
        policy: RetryPolicy,
        *,
        api_key: str,
        database: str | None,
    ) -> None:
        super().__init__(http, url, policy, database)
        self._headers = {
            "Authorization": f"bearer {api_key}",
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if database:
            self._headers["X-Odoo-Database"] = database

    def _call_once(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None,
        context: dict[str, Any],
        params: dict[str, Any],
    ) -> Any:
        what = f"{model}.{method}"
        body: dict[str, Any] = dict(params)
        if ids is not None:
            body["ids"] = list(ids)
        if context:
            body["context"] = context
        response = self._post(
            f"/json/2/{model}/{method}",
            what,
            content=json.dumps(body).encode(),
            headers=self._headers,
        )
        if response.status_code == 200:
            try:
                return response.json()
            except ValueError:
                raise PermanentError(f"odoo: {what} answered something that is not JSON") from None
        if response.status_code == 404 and "json" not in response.headers.get("content-type", ""):
            # Odoo serves an unknown database without one, where /json/2 does not exist
            raise database_missing(self.database, self.url)
        name, message = _json_error(response)
        if response.status_code == 401:
            raise OdooAuthError("odoo: the API key was refused (HTTP 401); check api_key")
        raise OdooError(
            what,
            status=response.status_code,
            kind=name,
            server_text=message,
            database=self.database,
        )


def _json_error(response: httpx.Response) -> tuple[str, str]:
    """The short exception name and the message of a JSON-2 error body (empty if absent)."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if isinstance(body, str):  # some 19.x builds answer a bare message
        return "", body
    if not isinstance(body, dict):
        return "", ""
    name = str(body.get("name") or "").rsplit(".", 1)[-1]
    return name, str(body.get("message") or "")


class XmlRpcTransport(Transport):
    """Odoo before 19 (and up to 21): XML-RPC ``/xmlrpc/2`` with a login and API key."""

    protocol = "xmlrpc"

    def __init__(
        self,
        http: httpx.Client,
        url: str,
        policy: RetryPolicy,
        *,
        api_key: str,
        database: str,
        username: str,
    ) -> None:
        super().__init__(http, url, policy, database)
        self._key = api_key
        self._db = database
        self._login = username
        self._uid: int | None = None

    def rpc(self, service: str, method: str, params: tuple[Any, ...]) -> Any:
        """One XML-RPC call on ``/xmlrpc/2/<service>``; faults become :class:`OdooError`."""
        what = f"{service}.{method}"
        return self.policy.run(
            lambda: self._rpc_once(service, method, params, what), what, final=True
        )

    def _rpc_once(self, service: str, method: str, params: tuple[Any, ...], what: str) -> Any:
        payload = xmlrpc.client.dumps(params, method, allow_none=True).encode()
        response = self._post(
            f"/xmlrpc/2/{service}",
            what,
            content=payload,
            headers={"Content-Type": "text/xml", "User-Agent": USER_AGENT},
        )
        if response.status_code == 404:
            raise OdooError(what, status=404, kind="NotFound")
        if response.status_code != 200:
            raise OdooError(what, status=response.status_code)
        try:
            result, _ = xmlrpc.client.loads(response.content, use_builtin_types=True)
        except xmlrpc.client.Fault as fault:
            if _NO_DATABASE.search(str(fault.faultString or "")):
                raise database_missing(self._db, self.url) from None
            raise _fault_error(what, fault, self._db) from None
        except Exception:  # a malformed answer, whatever the parser raised
            raise PermanentError(f"odoo: {what} answered something that is not XML-RPC") from None
        return result[0] if result else None

    def login(self) -> None:
        self.policy.run(self._uid_once, "common.authenticate", final=True)

    def _uid_once(self) -> int:
        """The user id for the login, authenticated once (one attempt: the caller's policy
        retries the whole call, so retries never stack)."""
        if self._uid is None:
            what = "common.authenticate"
            uid = self._rpc_once(
                "common", "authenticate", (self._db, self._login, self._key, {}), what
            )
            if not uid:
                raise OdooAuthError(
                    "odoo: the login was refused; check database, username and api_key"
                )
            self._uid = int(uid)
        return self._uid

    def _call_once(
        self,
        model: str,
        method: str,
        ids: Sequence[int] | None,
        context: dict[str, Any],
        params: dict[str, Any],
    ) -> Any:
        args: list[Any] = [list(ids)] if ids is not None else []
        kwargs = dict(params)
        # the documented form: execute_kw(..., 'search_read', [domain], {'fields': ...}),
        # execute_kw(..., 'write', [[id], vals]); Odoo binds either way
        args += [kwargs.pop(name) for name in _POSITIONAL.get(method, ()) if name in kwargs]
        if context:
            kwargs["context"] = context
        what = f"{model}.{method}"
        return self._rpc_once(
            "object",
            "execute_kw",
            (self._db, self._uid_once(), self._key, model, method, args, kwargs),
            what,
        )


#: Parameters XML-RPC passes by position after the ids, as Odoo's documentation does.
_POSITIONAL: dict[str, tuple[str, ...]] = {
    "search_read": ("domain",),
    "search": ("domain",),
    "search_count": ("domain",),
    "write": ("vals",),
    "create": ("vals_list",),
}


def _fault_error(what: str, fault: xmlrpc.client.Fault, database: str | None) -> PermanentError:
    text = str(fault.faultString or "")
    code = fault.faultCode if isinstance(fault.faultCode, int) else None
    if code == 3 or text.strip() == "Access Denied":
        return OdooAuthError("odoo: access denied (XML-RPC fault 3); check username and api_key")
    kind = {2: "UserError", 4: "AccessError"}.get(code or 0, "")
    if not kind and _MISSING.search(text):
        kind = "MissingError"
    return OdooError(what, code=code, kind=kind, server_text=text, database=database)


def server_major_version(http: httpx.Client, url: str, policy: RetryPolicy) -> int | None:
    """Odoo's major version from ``/xmlrpc/2/common`` ``version()``; None when the endpoint
    is gone (Odoo 22+ drops XML-RPC, so JSON-2 is the answer there)."""
    probe = XmlRpcTransport(http, url, policy, api_key="", database="", username="")
    try:
        info = probe.rpc("common", "version", ())
    except OdooError as exc:
        if exc.status == 404:
            return None
        raise
    if not isinstance(info, dict):
        return None
    version_info = info.get("server_version_info") or []
    if version_info and isinstance(version_info[0], int):
        return version_info[0]
    return parse_major(str(info.get("server_version", "")))
