"""What the access report calls the PBX's records and their fields, in nl, en and fr."""

from __future__ import annotations

from collections.abc import Mapping

from dsr_core.fields import Field, labels

TITLES: Mapping[str, str] = labels("Telefonie", "Telephony", "Téléphonie")

CATEGORIES: Mapping[str, Mapping[str, str]] = {
    "call": labels("Gesprekken", "Calls", "Appels"),
    "call_event": labels("Gespreksgebeurtenissen", "Call events", "Événements d'appel"),
}

#: a call's direction as the PBX system reports it (plugins/pbx/matching.py)
DIRECTIONS: Mapping[str, Mapping[str, str]] = {
    "incoming": labels("inkomend", "incoming", "entrant"),
    "outgoing": labels("uitgaand", "outgoing", "sortant"),
    "internal": labels("intern", "internal", "interne"),
}
#: how a call ended: Asterisk's CDR dispositions (``ANSWERED``, ``NO ANSWER``, ``BUSY``,
#: ``FAILED``, ``CONGESTION``; ``cdr.c`` ``ast_cdr_disp2str``) and FreeSWITCH's common hangup
#: causes (Q.850 names, as ``${hangup_cause}`` writes them)
DISPOSITIONS: Mapping[str, Mapping[str, str]] = {
    "ANSWERED": labels("beantwoord", "answered", "répondu"),
    "NO ANSWER": labels("niet beantwoord", "not answered", "sans réponse"),
    "BUSY": labels("bezet", "busy", "occupé"),
    "FAILED": labels("mislukt", "failed", "échoué"),
    "CONGESTION": labels("netwerk overbelast", "network congested", "réseau saturé"),
    "NORMAL_CLEARING": labels("beantwoord", "answered", "répondu"),
    "NO_ANSWER": labels("niet beantwoord", "not answered", "sans réponse"),
    "USER_BUSY": labels("bezet", "busy", "occupé"),
    "ORIGINATOR_CANCEL": labels(
        "ingehaakt voor opname", "hung up before answer", "raccroché avant réponse"
    ),
    "CALL_REJECTED": labels("geweigerd", "rejected", "refusé"),
    "NO_USER_RESPONSE": labels("geen reactie", "no response", "pas de réponse"),
    "UNALLOCATED_NUMBER": labels("onbestaand nummer", "number does not exist", "numéro inexistant"),
}

_TECHNICAL = Field(labels("Technische sleutel", "Technical key", "Clé technique"), "technical")

FIELDS: Mapping[str, Field] = {
    "direction": Field(labels("Richting", "Direction", "Sens"), values=DIRECTIONS),
    "number": Field(labels("Uw nummer", "Your number", "Votre numéro"), "phone"),
    "counterpart": Field(
        labels("Nummer van de andere partij", "Other party's number", "Numéro de l'autre partie"),
        "third_party",
    ),
    "counterpart_name": Field(
        labels("Naam van de andere partij", "Other party's name", "Nom de l'autre partie"),
        "third_party",
    ),
    "caller_withheld": Field(
        labels(
            "Nummer afgeschermd door de beller",
            "Caller withheld their number",
            "Numéro masqué par l'appelant",
        ),
        "boolean",
    ),
    "caller_name": Field(labels("Uw naam als beller", "Your caller name", "Votre nom d'appelant")),
    "start": Field(labels("Begin", "Start", "Début"), "datetime"),
    "answer": Field(labels("Opgenomen", "Answered", "Décroché"), "datetime"),
    "end": Field(labels("Einde", "End", "Fin"), "datetime"),
    "time": Field(labels("Tijdstip", "Time", "Heure"), "datetime"),
    "duration": Field(labels("Duur", "Duration", "Durée"), "duration"),
    "billsec": Field(labels("Aangerekende duur", "Billed duration", "Durée facturée"), "duration"),
    "disposition": Field(labels("Resultaat", "Outcome", "Résultat"), values=DISPOSITIONS),
    "did": Field(labels("Gekozen nummer", "Number dialled", "Numéro composé"), "phone"),
    "recordingfile": Field(labels("Opname", "Call recording", "Enregistrement")),
    "userfield": Field(labels("Notitie", "Note", "Note")),
    "event": Field(labels("Gebeurtenis", "Event", "Événement")),
    "accountcode": Field(labels("Accountcode", "Account code", "Code de compte"), "technical"),
    "peeraccount": Field(
        labels(
            "Accountcode van de andere partij",
            "Other party's account code",
            "Code de compte de l'autre partie",
        ),
        "technical",
    ),
    "uniqueid": _TECHNICAL,
    "uuid": _TECHNICAL,
    "linkedid": _TECHNICAL,
    "sequence": _TECHNICAL,
    "context": Field(labels("Context", "Context", "Contexte"), "technical"),
    "application": Field(labels("Toepassing", "Application", "Application"), "technical"),
}
