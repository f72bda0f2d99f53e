"""The report's recipients, transfers and automated-decision words (``dsr_core.export.legal``)
in every language a subject may read, French included (its template comes with another
change: these are the sentences it places)."""

from __future__ import annotations

from datetime import date

import pytest

from dsr_core.export.legal import ROLES, SAFEGUARDS, WORDS, legal_context
from dsr_core.export.types import Recipient

CARRIER = Recipient("Numa Mobile", "carrier", ("contact",), date(2024, 2, 1), "BE")
CLOUD = Recipient("CloudCo Inc.", "processor", country="US", safeguard="scc", source="standing")
UNKNOWN = Recipient("Telco X", "", ("line",), source="records", named_in=("crm.carrier",))


@pytest.mark.parametrize("table", [WORDS, ROLES, SAFEGUARDS])
def test_every_language_has_every_word(table: dict) -> None:
    assert set(table) == {"nl", "en", "fr"}
    assert set(table["nl"]) == set(table["en"]) == set(table["fr"])


def test_french_names_the_transfer_and_its_safeguard() -> None:
    legal = legal_context("fr", [CARRIER, CLOUD], {})
    assert legal["outside"].startswith("Certains destinataires traitent vos données en dehors")
    assert legal["transfers"] == [
        "CloudCo Inc. (États-Unis) : les clauses contractuelles types de la Commission "
        "européenne (article 46, paragraphe 2, point c), du RGPD)"
    ]
    assert legal["all_eea"] == ""
    (row,) = legal["actual"]
    assert (row.role, row.country) == ("opérateur télécom", "Belgique")
    assert legal["standing"][0].country == "États-Unis (hors de l'EEE)"
    assert legal["automated"].startswith("Nous ne prenons aucune décision vous concernant")


def test_everything_in_the_eea_is_said_only_when_every_country_is_known() -> None:
    assert legal_context("nl", [CARRIER], {})["all_eea"].startswith(
        "Al deze ontvangers verwerken uw gegevens in de Europese Economische Ruimte"
    )
    unsure = legal_context("nl", [CARRIER, UNKNOWN], {})
    assert unsure["all_eea"] == "" and unsure["outside"] == ""
    assert unsure["unconfirmed"].startswith("Uw gegevens vermelden Telco X als ontvanger.")
    assert [r.country for r in unsure["actual"]] == ["België", "wordt nagegaan"]


def test_no_recipient_at_all_is_no_one_and_standing_ones_are_not_forgotten() -> None:
    assert legal_context("en", [], {})["nobody"] == (
        "We have not disclosed your personal data to anyone."
    )
    assert legal_context("en", [CLOUD], {})["nobody"].startswith("Apart from the recipients")
