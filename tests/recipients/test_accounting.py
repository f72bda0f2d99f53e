"""The access report accounts for every recipient (Art. 15(1)(c), (h) and 15(2)).

The subject's CRM record names its carrier, "Numa Mobile", in a field the system declares of
kind ``recipient`` (``test-named``, tests/recipients/plugins/named.py). The report lists it,
matched to the register or ``[[recipients]]`` by name (case and spaces ignored), or, unknown
to dsr, listed anyway and flagged to staff: a warning line naming it, the command's JSON, an
audit event without the name, exit code 5. The report never says "no one" then.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.export.helpers import Html

PLUGINS = Path(__file__).parent / "plugins"
EMAIL = "jan.peeters@example.be"
ROWS = [
    {
        "id": 1001,
        "email": EMAIL,
        "category": "contact",
        "fields": {"name": "Jan Peeters", "carrier": "Numa Mobile", "note": "Acme Hosting"},
    },
    {"id": 1002, "email": "els@example.be", "fields": {"carrier": "Other Telecom"}},
]
NOBODY = {
    "nl": "Wij hebben uw persoonsgegevens aan niemand verstrekt.",
    "en": "We have not disclosed your personal data to anyone.",
}
WARNING = re.compile(r"^dsr: warning: crm\.carrier names recipient 'Numa Mobile', ", re.M)


def setup(dsr: Any, extra: str = "", *, language: str = "nl", rows: Any = None) -> None:
    (dsr.home / "crm.json").write_text(json.dumps(ROWS if rows is None else rows))
    dsr.write_config(
        "\n".join(
            [
                "[controller]",
                'name = "Voxtra bvba"',
                'email = "privacy@voxtra.example"',
                f'language = "{language}"',
                "[plugins]",
                f"dir = {json.dumps(str(PLUGINS))}",
                "[systems.crm]",
                'type = "test-named"',
                'path = "crm.json"',
                extra,
            ]
        )
        + "\n"
    )
    dsr("init")


def run_access(dsr: Any, kind: str = "access") -> str:
    rid = str(dsr.json("request", "new", kind, "--name", "Jan Peeters", "--email", EMAIL)["id"])
    dsr("request", "verify", rid, "--method", "eID at the desk")
    dsr("request", "run", rid)
    return rid


def rows(text: str, table_id: str) -> list[list[str]]:
    """The cells of each body row of the table ``table_id``, tags removed."""
    table = re.search(rf'<table[^>]* id="{table_id}">(.*?)</table>', text, re.S)
    assert table is not None, f"no table {table_id}"
    body = table.group(1).split("</thead>")[-1]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def export(dsr: Any, rid: str, tmp_path: Path) -> tuple[Any, Html, str]:
    """``dsr export --json``: the result, the report parsed, the report's text."""
    target = tmp_path / f"bundle-{rid}.zip"
    result = dsr("export", rid, "-o", str(target), "--overwrite", "--json", ok=False)
    assert result.exit_code in (0, 5), result.stderr
    with zipfile.ZipFile(target) as bundle:
        text = bundle.read("report.html").decode("utf-8")
    return result, Html(text), text


def test_a_carrier_unknown_to_dsr_is_listed_and_flagged_never_no_one(
    dsr: Any, tmp_path: Path
) -> None:
    setup(dsr)
    rid = run_access(dsr)
    result, html, text = export(dsr, rid, tmp_path)

    assert result.exit_code == 5
    assert len(WARNING.findall(result.stderr)) == 1
    assert result.json["unmatched_recipients"] == [
        {"name": "Numa Mobile", "named_in": ["crm.carrier"]}
    ]
    recipients = html.text("recipients")
    assert "Numa Mobile" in html.text("recipients-actual")
    assert "Numa Mobile" in html.text("recipients-unconfirmed")
    assert NOBODY["nl"] not in recipients
    # a field of another kind naming a company is no recipient; other customers' carriers
    # never appear
    assert "Acme Hosting" not in recipients
    assert "Other Telecom" not in text

    events = dsr.json("audit", "show", rid)
    unmatched = [e for e in events if e["action"] == "recipients.unmatched"]
    assert [e["data"] for e in unmatched] == [{"count": 1, "fields": ["crm.carrier"]}]
    assert "Numa" not in json.dumps(events)

    shown = dsr("request", "show", rid, ok=False)
    assert shown.exit_code == 5
    assert len(WARNING.findall(shown.stderr)) == 1


def test_a_carrier_in_the_register_matches_whatever_its_case_and_spaces(
    dsr: Any, tmp_path: Path
) -> None:
    setup(dsr)
    rid = run_access(dsr)
    dsr(
        "suppliers", "add", " numa   MOBILE ", "--role", "carrier",
        "--email", "privacy@numa.example", "--country", "be",
    )  # fmt: skip
    result, html, text = export(dsr, rid, tmp_path)

    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    assert result.json["unmatched_recipients"] == []
    assert rows(text, "recipients-actual") == [
        ["numa MOBILE", "telecomoperator", "contact", "", "België"]
    ]
    assert "recipients-unconfirmed" not in html.ids
    assert "Al deze ontvangers verwerken uw gegevens in de Europese Economische Ruimte" in (
        html.text("transfers")
    )
    assert dsr("request", "show", rid).exit_code == 0


STANDING = """
[[recipients]]
name = "Numa Mobile NV"
aliases = ["Numa Mobile"]
role = "recipient"
purpose = "Mobile lines and number porting"
country = "BE"

[[recipients]]
name = "Boekhoudkantoor Claes"
role = "processor"
purpose = "Bookkeeping and invoicing"
country = "be"

[[recipients]]
name = "CloudCo Inc."
role = "processor"
purpose = "Hosting our CRM"
country = "US"
safeguard = "scc"
"""


def test_standing_recipients_and_their_transfers_are_in_every_report(
    dsr: Any, tmp_path: Path
) -> None:
    setup(dsr, STANDING, language="en")
    rid = run_access(dsr)
    result, html, text = export(dsr, rid, tmp_path)

    assert result.exit_code == 0, result.stderr  # the carrier matched a standing alias
    assert "recipients-actual" not in html.ids
    recipients = html.text("recipients")
    assert "Apart from the recipients below, who receive the data of all our customers" in (
        recipients
    )
    assert NOBODY["en"] not in recipients
    assert rows(text, "recipients-standing") == [
        ["Numa Mobile NV", "recipient", "Mobile lines and number porting", "Belgium"],
        [
            "Boekhoudkantoor Claes",
            "processor (processes the data on our behalf)",
            "Bookkeeping and invoicing",
            "Belgium",
        ],
        [
            "CloudCo Inc.",
            "processor (processes the data on our behalf)",
            "Hosting our CRM",
            "United States (outside the EEA)",
        ],
    ]
    transfers = html.text("transfers")
    assert "Some recipients process your data outside the European Economic Area" in transfers
    assert (
        "CloudCo Inc. (United States): the European Commission's standard contractual clauses "
        "(Article 46(2)(c) GDPR)" in transfers
    )
    assert "Belgium" not in transfers
    manifest = json.loads(zipfile.ZipFile(tmp_path / f"bundle-{rid}.zip").read("manifest.json"))
    cloud = next(r for r in manifest["recipients"] if r["name"] == "CloudCo Inc.")
    assert (cloud["country"], cloud["safeguard"], cloud["source"]) == ("US", "scc", "standing")


def test_an_erasure_report_lists_whom_its_notices_go_to_not_the_standing_recipients(
    dsr: Any, tmp_path: Path
) -> None:
    setup(dsr, STANDING, language="en")
    rid = run_access(dsr, "erasure")
    result, html, _ = export(dsr, rid, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "recipients-standing" not in html.ids
    assert "CloudCo" not in html.text("recipients")
    assert NOBODY["en"] in html.text("recipients")


@pytest.mark.parametrize(
    ("extra", "language", "expected"),
    [
        (
            "",
            "nl",
            "Wij nemen geen beslissingen over u die uitsluitend op geautomatiseerde verwerking "
            "berusten, profilering inbegrepen (artikel 22 AVG).",
        ),
        (
            "",
            "en",
            "We take no decisions about you based solely on automated processing, including "
            "profiling (Article 22 GDPR).",
        ),
        (
            '[controller.automated_decisions]\nen = "We score payment risk automatically."\n'
            'nl = "Wij schatten het betalingsrisico automatisch in."',
            "en",
            "We score payment risk automatically.",
        ),
        (  # said in Dutch only: the English report never says "none"
            '[controller.automated_decisions]\nnl = "Wij schatten het betalingsrisico in."',
            "en",
            "Wij schatten het betalingsrisico in.",
        ),
    ],
)
def test_the_report_states_automated_decision_making(
    dsr: Any, tmp_path: Path, extra: str, language: str, expected: str
) -> None:
    setup(dsr, rows=[], language=language)
    if extra:
        config = dsr.home / "dsr.toml"
        text = config.read_text()
        # the [controller] table ends before [plugins]; a sub-table must follow its keys
        config.write_text(text.replace("[plugins]", extra + "\n[plugins]", 1))
    rid = run_access(dsr)
    result, html, _ = export(dsr, rid, tmp_path)
    assert html.text("automated-decisions").endswith(expected)
    assert "automated-decisions" in html.ids
    contents = html.text("contents")
    assert html.text("automated-decisions").removesuffix(expected).strip() in contents
    assert NOBODY[language] in html.text("recipients")  # no recipient anywhere: no one
