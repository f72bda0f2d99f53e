"""The report as a real browser renders it (headless Chromium), with no network and no scripts."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest

from dsr_core.model import RequestKind
from tests.needs import unavailable

from .helpers import Html, crm_outcomes, crm_records, make_request, open_bundle, section, write


def chromium() -> str:
    for candidate in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(candidate)
        if found:
            return found
    unavailable("chromium not installed: apt-get install chromium")


def rendered_dom(browser: str, report: Path, profile: Path) -> str:
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--dump-dom",
            report.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


AUTHORITY = {
    "nl": "Drukpersstraat 35",
    "en": "Drukpersstraat 35",
    "fr": "Rue de la Presse 35",
}


@pytest.mark.parametrize("language", ["nl", "en", "fr"])
def test_chromium_renders_every_section_of_an_erasure_report(tmp_path: Path, language: str) -> None:
    browser = chromium()
    request = dataclasses.replace(make_request(RequestKind.ERASURE), language=language)
    systems = [section(records=crm_records(), outcomes=crm_outcomes())]
    bundle = open_bundle(write(tmp_path, request, systems).path)
    report = tmp_path / "extracted" / "report.html"
    report.parent.mkdir()
    report.write_bytes(bundle.read("report.html"))

    dom = Html(rendered_dom(browser, report, tmp_path / "profile"))

    for ident in (
        "summary",
        "outcomes",
        "erased",
        "anonymised",
        "kept",
        "purposes",
        "categories",
        "recipients",
        "retention",
        "source",
        "rights",
        "complaint",
        "system-crm",
        "records-crm-contact",
    ):
        assert ident in dom.ids, ident
    assert "script" not in dom.tags  # the escaped <script> field stayed text
    assert "Jan <script>alert('x')</script> Peeters" in dom.text("records-crm-contact")
    assert AUTHORITY[language] in dom.text("complaint")
    assert "inv-2024-001" in dom.text("kept")  # no fields to describe it by: its id
