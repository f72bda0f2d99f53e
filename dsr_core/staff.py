"""Who may do what: decided by the operating system's user, never by ``--actor``.

``--actor`` and ``$DSR_ACTOR`` only label the audit trail (a shared service account may act for
several people). A right such as revealing credentials is decided by the account the process
runs as: its effective uid, looked up in the password database (not ``$USER`` or ``$LOGNAME``,
which anyone can set), must be listed in ``controller.technical_staff``.
"""

from __future__ import annotations

import os
import pwd

from .config import ControllerConfig
from .errors import UserError


def os_user() -> str:
    """The login name of the effective uid; its number when it has no name."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def is_technical_staff(controller: ControllerConfig) -> bool:
    return os_user() in controller.technical_staff


def require_technical_staff(controller: ControllerConfig, doing: str) -> str:
    """The OS user when it is listed in ``controller.technical_staff``; else a one-line
    refusal naming the OS user (whatever ``--actor`` says)."""
    user = os_user()
    if user not in controller.technical_staff:
        raise UserError(
            f"the OS user {user!r} may not {doing}: only the technical staff listed in "
            "controller.technical_staff (--actor only labels the audit trail)"
        )
    return user
