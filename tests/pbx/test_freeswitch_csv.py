"""The freeswitch-csv system type."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dsr_core.model import Action, Subject
from dsr_core.systems import ConfigError
from dsr_core.testing import SystemConformance, make_context
from dsr_plugins.pbx import FreeswitchCsvSystem
from tests.pbx.samples import JAN_SUBJECT, STRANGER, freeswitch_line, write_lines

TODAY = date(2025, 6, 1)


def sample_lines() -> list[str]:
    return [
        freeswitch_line("0477123456", "201", name="Jan Peeters", uuid="u-1"),
        freeswitch_line("0499887766", "202", uuid="u-2"),
        freeswitch_line("0499887766", "+32 477 12 34 56", name="Bob", uuid="u-3", answer=""),
        '"broken","0477123456"',
        freeswitch_line("0477123456", "203", start="2024-02-31 10:00:00", uuid="u-5"),
        freeswitch_line("0032477123456", "204", start="2025-05-20 10:00:00", uuid="u-6"),
    ]


def make(tmp_path: Path, config: dict | None = None) -> FreeswitchCsvSystem:
    return FreeswitchCsvSystem(
        "fs", {"path": "Master.csv", **(config or {})}, make_context("fs", tmp_path, today=TODAY)
    )


class TestConformance(SystemConformance):
    @pytest.fixture
    def system(self, tmp_path: Path) -> FreeswitchCsvSystem:
        write_lines(tmp_path / "Master.csv", sample_lines())
        return make(tmp_path)

    @pytest.fixture
    def subject(self) -> Subject:
        return JAN_SUBJECT

    @pytest.fixture
    def stranger(self) -> Subject:
        return STRANGER

    @pytest.fixture
    def bad_config(self) -> dict:
        return {"path": "Master.csv", "template": '"${caller_id_number}"'}


class TestConformanceKeepAndAnonymise(TestConformance):
    @pytest.fixture
    def system(self, tmp_path: Path) -> FreeswitchCsvSystem:
        write_lines(tmp_path / "Master.csv", sample_lines())
        return make(tmp_path, {"keep_calls_for": "30 days", "after_retention": "anonymise"})


def test_access_and_erase_default_template(tmp_path: Path) -> None:
    write_lines(tmp_path / "Master.csv", sample_lines())
    system = make(tmp_path, {"keep_calls_for": "30 days"})
    keys = system.locate(JAN_SUBJECT)
    records = {r.fields["uuid"]: r.fields for r in system.access(JAN_SUBJECT, keys)}
    assert set(records) == {"u-1", "u-3", "u-6"}
    assert records["u-1"]["direction"] == "outgoing"
    assert records["u-1"]["caller_name"] == "Jan Peeters"
    assert records["u-3"]["direction"] == "incoming"
    assert "caller_name" not in records["u-3"]
    assert records["u-3"]["answer"] is None
    assert records["u-1"]["disposition"] == "NORMAL_CLEARING"
    outcomes = {
        o.record_id.split(":")[0]: o for o in system.erase(JAN_SUBJECT, keys, dry_run=False)
    }
    assert outcomes["u-6"].action == Action.KEPT and outcomes["u-6"].until == date(2025, 6, 19)
    assert outcomes["u-1"].action == outcomes["u-3"].action == Action.ERASED
    assert outcomes["unparsed"].action == Action.UNCHANGED
    remaining = (tmp_path / "Master.csv").read_text().splitlines()
    assert remaining == [sample_lines()[i] for i in (1, 3, 4, 5)]
    summary = system.last_run_summary()
    assert summary["parse_errors"] == 2
    assert [e["line"] for e in summary["parse_error_lines"]] == [4, 5]


def test_custom_template_with_epochs(tmp_path: Path) -> None:
    template = '"${uuid}","${start_epoch}","${answer_epoch}","${end_epoch}",'
    template += '"${effective_caller_id_name}","${ani}","${sip_to_user}","${billsec}"'
    write_lines(
        tmp_path / "cdr.csv",
        [
            '"u-1","1709283600","0","1709283630","Jan","0477123456","201","0"',
            '"u-2","1709283600","1709283605","1709283630","X","0499887766","0477123456","25"',
        ],
    )
    system = make(tmp_path, {"path": "cdr.csv", "template": template})
    keys = system.locate(JAN_SUBJECT)
    records = {r.fields["uuid"]: r.fields for r in system.access(JAN_SUBJECT, keys)}
    assert records["u-1"]["start"] == "2024-03-01T10:00:00+01:00"
    assert records["u-1"]["answer"] is None
    assert records["u-1"]["caller_name"] == "Jan"
    assert records["u-2"]["direction"] == "incoming"
    assert records["u-2"]["billsec"] == 25


def test_template_as_list_and_anonymise(tmp_path: Path) -> None:
    names = ["caller_id_name", "caller_id_number", "destination_number", "start_stamp", "billsec"]
    write_lines(
        tmp_path / "Master.csv",
        ['"Jan","0477123456","0499887766","2024-03-01 10:00:00","30"', '"A","1","2","x","1"'],
    )
    system = make(tmp_path, {"template": names, "after_retention": "anonymise"})
    [result] = system.erase(JAN_SUBJECT, system.locate(JAN_SUBJECT), dry_run=False)
    assert result.action == Action.ANONYMISED
    token = system.context.anonymise("+32477123456")
    assert (tmp_path / "Master.csv").read_text().splitlines() == [
        f'"","{token}","0499887766","2024-03-01 10:00:00","30"',
        '"A","1","2","x","1"',
    ]
    assert system.check().details["parse_errors"] == 1


@pytest.mark.parametrize(
    "template", [42, ["start_stamp", 3], '"${caller_id_number} ${x}","${start_stamp}"']
)
def test_bad_template_is_a_config_error(tmp_path: Path, template) -> None:
    with pytest.raises(ConfigError, match=r"^systems\.fs: template"):
        make(tmp_path, {"template": template})
