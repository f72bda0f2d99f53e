"""What the subject is told about a system that was not (fully) searched, in plain words.

The bundle goes to the subject: it carries a machine-readable status per system and, where a
system was not fully searched, one plain sentence in the report's language. The staff's error
text (paths, tables, hosts) never goes in; it stays in ``dsr request show``.

Statuses (``manifest.json``, ``systems[].status``): the task's state (``done``, ``failed``,
``not_searched``, ``manual``, ``skipped``, ``pending``, ``running``), except ``incomplete``
for a task that is done but could not read data that may hold the subject's.
"""

from __future__ import annotations

from .types import SystemSection

INCOMPLETE = "incomplete"

#: Statuses of a system whose data may be missing from the bundle.
NOT_COMPLETE = frozenset({"failed", "not_searched", INCOMPLETE, "manual", "pending", "running"})

_NOTES: dict[str, dict[str, str]] = {
    "nl": {
        "failed": "Dit systeem kon niet volledig worden doorzocht; een medewerker bekijkt het.",
        "not_searched": "Dit systeem is nog niet doorzocht, omdat een ander systeem waar het "
        "van afhangt niet kon worden doorzocht; een medewerker bekijkt het.",
        INCOMPLETE: "Sommige gegevens in dit systeem konden niet worden gelezen; een "
        "medewerker bekijkt ze.",
        "manual": "Dit systeem wordt met de hand behandeld door onze medewerkers; we sturen u "
        "het resultaat.",
        "pending": "Dit systeem is nog niet doorzocht; we sturen u het resultaat.",
        "running": "Dit systeem is nog niet doorzocht; we sturen u het resultaat.",
    },
    "en": {
        "failed": "This system could not be fully searched; a member of staff will review it.",
        "not_searched": "This system has not been searched yet, because another system it "
        "depends on could not be searched; a member of staff will review it.",
        INCOMPLETE: "Some records in this system could not be read; a member of staff will "
        "review them.",
        "manual": "This system is handled by hand by our staff; we will send you the result.",
        "pending": "This system has not been searched yet; we will send you the result.",
        "running": "This system has not been searched yet; we will send you the result.",
    },
    "fr": {
        "failed": "Ce système n'a pas pu être entièrement consulté ; un collaborateur l'examine.",
        "not_searched": "Ce système n'a pas encore été consulté, parce qu'un autre système "
        "dont il dépend n'a pas pu l'être ; un collaborateur l'examine.",
        INCOMPLETE: "Certaines données de ce système n'ont pas pu être lues ; un "
        "collaborateur les examine.",
        "manual": "Ce système est traité manuellement par nos collaborateurs ; nous vous "
        "enverrons le résultat.",
        "pending": "Ce système n'a pas encore été consulté ; nous vous enverrons le résultat.",
        "running": "Ce système n'a pas encore été consulté ; nous vous enverrons le résultat.",
    },
}


def status_of(section: SystemSection) -> str:
    """The system's status as the subject's bundle states it."""
    status = str(section.status)
    if status == "done" and section.unread_count > 0:
        return INCOMPLETE
    return status


def note_for(section: SystemSection, language: str) -> str | None:
    """The plain sentence for a system not fully searched; ``None`` when it was."""
    return _NOTES.get(language, _NOTES["en"]).get(status_of(section))


def missing(sections: list[SystemSection], language: str) -> list[dict[str, str]]:
    """The systems whose data may be missing, each with its status and the plain reason."""
    return [
        {"system": s.name, "status": status_of(s), "reason": note_for(s, language) or ""}
        for s in sections
        if status_of(s) in NOT_COMPLETE
    ]
