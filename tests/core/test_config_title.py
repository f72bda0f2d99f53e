"""A system's ``title`` in dsr.toml: the display name the subject reads, a core key."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from dsr_core.config import ConfigFileError, build_config
from tests.engine.helpers import config, new_verified, write_store


def _system(title: object) -> dict[str, object]:
    return {"systems": {"pbx": {"type": "asterisk-csv", "path": "x.csv", "title": title}}}


def test_a_title_is_one_text_or_a_text_per_language(tmp_path: Path) -> None:
    one = build_config(_system("Telefonie"), path=None, home=tmp_path).systems["pbx"]
    assert one.title == "Telefonie"
    assert "title" not in one.options  # never passed to the plugin
    table = {"nl": "Telefonie", "fr": "Téléphonie"}
    assert build_config(_system(table), path=None, home=tmp_path).systems["pbx"].title == table
    assert (
        build_config({"systems": {"pbx": {"type": "x"}}}, path=None, home=tmp_path)
        .systems["pbx"]
        .title
        is None
    )


@pytest.mark.parametrize("title", ["", 3, {"de": "Telefon"}, {"nl": ""}, {}, ["Telefonie"]])
def test_a_malformed_title_is_refused_in_one_line(tmp_path: Path, title: object) -> None:
    with pytest.raises(ConfigFileError) as info:
        build_config(_system(title), path=None, home=tmp_path)
    message = str(info.value)
    assert "systems.pbx.title must be a text, or a table of texts per language" in message
    assert "\n" not in message


def test_the_report_shows_the_title_and_systems_check_accepts_it(dsr) -> None:  # noqa: ANN001
    write_store(dsr.home / "crm.json", [{"id": 1, "email": "jan@example.be", "fields": {}}])
    dsr.write_config(
        config(
            {
                "crm": {
                    "type": "test-store",
                    "path": "crm.json",
                    "title": {"nl": "Klantenbestand", "en": "Customer file"},
                }
            }
        )
    )
    dsr("init")
    assert "title" not in dsr("systems", "check", ok=False).stdout
    rid = new_verified(dsr)
    dsr("request", "run", rid)
    target = Path(dsr.home) / "b.zip"
    dsr("export", rid, "-o", str(target))
    with zipfile.ZipFile(target) as zf:
        report = zf.read("report.html").decode()
        assert "<h3>Klantenbestand</h3>" in report
        assert '"name": "crm"' in zf.read("manifest.json").decode()  # files keep the name
