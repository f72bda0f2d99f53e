"""The techdossier-folder type on real folders under tmp_path."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Action, Identity, IdentityKind, Subject
from dsr_core.systems import ManualStep, PermanentError
from dsr_core.testing import SystemConformance, make_context
from dsr_plugins.techdossier import FolderDossierSystem
from tests.labels import assert_labelled, field_of

EMAIL, PHONE, CUSTOMER_ID = IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.CUSTOMER_ID
PASSWORD = "Fw!Adm1n-2024-s3cret"
OTP = "JBSWY3DPEHPK3PXP"


def build_root(base: Path) -> Path:
    """Two customers' dossiers and one beside the root that must never be touched."""
    root = base / "dossiers"
    jan = root / "1042"
    (jan / "notes" / "network").mkdir(parents=True)
    (jan / "subject.toml").write_text(
        'name = "Jan Peeters"\nemails = ["Jan.Peeters@Example.be"]\nphones = ["0477 12 34 56"]\n'
    )
    (jan / "notes" / "2024-03-01-visit.md").write_text("# Site visit\n\nReplaced the switch.\n")
    (jan / "notes" / "network" / "firewall.md").write_text("Firewall rules reviewed.\n")
    (jan / "assets.toml").write_text(
        '[[asset]]\nid = "fw-01"\nname = "Firewall"\nserial = "FGT60F123"\n'
        f'admin_password = "{PASSWORD}"\ninstalled = 2023-05-02\n\n'
        '[[asset]]\nname = "Printer"\n'
    )
    (jan / "credentials.toml").write_text(
        '[[credential]]\nid = "m365"\nname = "Microsoft 365 admin"\nusername = "admin@jan.be"\n'
        f'password = "{PASSWORD}"\notp_secret = "{OTP}"\nurl = "https://portal.office.com"\n'
    )
    (jan / "scan.pdf").write_bytes(b"%PDF-1.4 binary")
    piet = root / "1043"
    piet.mkdir()
    (piet / "subject.toml").write_text('name = "Piet"\nemails = ["piet@example.be"]\n')
    (piet / "credentials.toml").write_text('[[credential]]\nname = "wifi"\npassword = "x"\n')
    outside = base / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not a dossier")
    return root


def make(base: Path, **extra: Any) -> FolderDossierSystem:
    config = {"root": "dossiers", "customer_id_from": "crm", **extra}
    return FolderDossierSystem("dossier", config, make_context("dossier", base))


JAN = Subject("Jan", (Identity(EMAIL, "jan.peeters@example.be"),))


class TestFolderConformance(SystemConformance):
    @pytest.fixture
    def system(self, tmp_path: Path) -> FolderDossierSystem:
        build_root(tmp_path)
        return make(tmp_path)

    @pytest.fixture
    def subject(self) -> Subject:
        return JAN

    @pytest.fixture
    def stranger(self) -> Subject:
        return Subject(
            "Nobody",
            (Identity(EMAIL, "nobody@example.be"), Identity(CUSTOMER_ID, "9999", system="crm")),
        )

    @pytest.fixture
    def bad_config(self) -> Mapping[str, Any]:
        return {"root": 42}


@pytest.fixture
def base(tmp_path: Path) -> Path:
    build_root(tmp_path)
    return tmp_path


def ids_of(keys: Any) -> set[str]:
    return {k.value for k in keys if k.kind == CUSTOMER_ID}


def test_locate_by_crm_id_email_and_phone(base: Path) -> None:
    system = make(base)
    assert ids_of(system.locate(Subject("J", (Identity(CUSTOMER_ID, "1042", system="crm"),)))) == {
        "1042"
    }
    assert ids_of(system.locate(Subject("J", (Identity(PHONE, "+32477123456"),)))) == {"1042"}
    keys = system.locate(JAN)
    assert keys == [Identity(CUSTOMER_ID, "1042", system="dossier", source="dossier")]


def test_only_the_configured_systems_ids_name_folders(base: Path) -> None:
    other = Subject("J", (Identity(CUSTOMER_ID, "1042", system="pbx"),))
    unqualified = Subject("J", (Identity(CUSTOMER_ID, "1042"),))
    assert make(base).locate(other) == []
    assert make(base).locate(unqualified) == []
    assert ids_of(make(base, customer_id_from=["crm", "request"]).locate(unqualified)) == {"1042"}


def test_access_marks_secrets(base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    system = make(base)
    records = {r.record_id: r for r in system.access(JAN, system.locate(JAN))}
    assert set(records) == {
        "1042/subject",
        "1042/assets/fw-01",
        "1042/assets/#2",
        "1042/credentials/m365",
        "1042/notes/2024-03-01-visit.md",
        "1042/notes/network/firewall.md",
        "1042/files/scan.pdf",
    }
    credential = records["1042/credentials/m365"]
    assert credential.category == "credential"
    assert credential.secret_fields == {"password", "otp_secret"}
    assert credential.fields["password"] == PASSWORD  # the core masks, the plugin marks
    asset = records["1042/assets/fw-01"]
    assert asset.category == "asset" and asset.secret_fields == {"admin_password"}
    assert asset.fields["installed"] == "2023-05-02"
    note = records["1042/notes/2024-03-01-visit.md"]
    assert note.category == "dossier_note" and note.fields["title"] == "Site visit"
    assert "switch" in note.fields["text"] and not note.secret_fields
    assert records["1042/files/scan.pdf"].fields["size"] == 15
    assert records["1042/subject"].provided_by_subject
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err


def test_erase_deletes_the_whole_dossier_and_nothing_else(
    base: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    system = make(base)
    outcomes = list(system.erase(JAN, system.locate(JAN), dry_run=False))
    assert len(outcomes) == 7 and {o.action for o in outcomes} == {Action.ERASED}
    assert not (base / "dossiers" / "1042").exists()
    assert (base / "dossiers" / "1043" / "credentials.toml").exists()
    assert (base / "outside" / "keep.txt").exists()
    assert sorted(p.name for p in (base / "dossiers").iterdir()) == ["1043"]  # no tombstone
    out = capsys.readouterr()
    logged = caplog.text + out.out + out.err
    assert PASSWORD not in logged and "jan.peeters" not in logged.lower()


def test_erase_by_crm_id_then_again(base: Path) -> None:
    system = make(base)
    subject = Subject("J", (Identity(CUSTOMER_ID, "1043", system="crm"),))
    first = list(system.erase(subject, system.locate(subject), dry_run=False))
    assert {o.record_id for o in first} == {"1043/subject", "1043/credentials/#1"}
    assert list(system.erase(subject, system.locate(subject), dry_run=False)) == []
    stale_keys = [Identity(CUSTOMER_ID, "1043", system="dossier", source="dossier")]
    assert list(system.erase(subject, stale_keys, dry_run=False)) == []


def test_empty_dossier_still_reports_its_erasure(base: Path) -> None:
    (base / "dossiers" / "2000").mkdir()
    system = make(base)
    subject = Subject("J", (Identity(CUSTOMER_ID, "2000", system="crm"),))
    outcomes = list(system.erase(subject, system.locate(subject), dry_run=False))
    assert [(o.record_id, o.action) for o in outcomes] == [("2000", Action.ERASED)]


def test_dry_run_deletes_nothing(base: Path) -> None:
    system = make(base)
    outcomes = list(system.erase(JAN, system.locate(JAN), dry_run=True))
    assert outcomes and all("dry run" in o.detail for o in outcomes)
    assert (base / "dossiers" / "1042" / "credentials.toml").exists()


@pytest.mark.parametrize("bad", ["../outside", "..", ".", "a/b", "/etc", ".hidden", "1042/.."])
def test_customer_ids_that_are_not_plain_names_are_refused(base: Path, bad: str) -> None:
    system = make(base)
    subject = Subject("X", (Identity(CUSTOMER_ID, bad, system="crm"),))
    keys = [Identity(CUSTOMER_ID, bad, system="dossier", source="dossier")]
    with pytest.raises(PermanentError) as info:
        list(system.erase(subject, keys, dry_run=False))
    assert "\n" not in str(info.value) and "refused" in str(info.value)
    with pytest.raises(PermanentError):
        system.locate(subject)
    assert (base / "outside" / "keep.txt").exists()
    assert sorted(p.name for p in (base / "dossiers").iterdir()) == ["1042", "1043"]


def test_a_dossier_folder_that_links_out_of_the_root_is_refused(base: Path) -> None:
    link = base / "dossiers" / "3000"
    link.symlink_to(base / "outside", target_is_directory=True)
    system = make(base)
    subject = Subject("X", (Identity(CUSTOMER_ID, "3000", system="crm"),))
    keys = [Identity(CUSTOMER_ID, "3000", system="dossier", source="dossier")]
    for call in (
        lambda: list(system.erase(subject, keys, dry_run=False)),
        lambda: list(system.access(subject, keys)),
        lambda: system.locate(subject),
    ):
        with pytest.raises(PermanentError) as info:
            call()
        assert "symbolic link" in str(info.value) and "\n" not in str(info.value)
    assert (base / "outside" / "keep.txt").read_text() == "not a dossier"
    assert link.is_symlink()
    assert not system.check().ok  # the link is reported
    assert system.locate(JAN)  # scanning by e-mail skips the link and still works


def test_a_file_linking_out_of_the_dossier_is_refused(base: Path) -> None:
    notes = base / "dossiers" / "1042" / "notes"
    (notes / "leak.md").symlink_to(base / "outside" / "keep.txt")
    system = make(base)
    keys = system.locate(JAN)
    with pytest.raises(PermanentError, match="links outside"):
        list(system.access(JAN, keys))
    with pytest.raises(PermanentError, match="links outside"):
        list(system.erase(JAN, keys, dry_run=False))
    assert (base / "outside" / "keep.txt").exists() and (notes / "leak.md").is_symlink()


def test_links_inside_the_dossier_are_read_and_deleted_as_links(base: Path) -> None:
    jan = base / "dossiers" / "1042"
    (jan / "notes" / "latest.md").symlink_to(jan / "notes" / "2024-03-01-visit.md")
    system = make(base)
    records = {r.record_id for r in system.access(JAN, system.locate(JAN))}
    assert "1042/notes/latest.md" in records
    list(system.erase(JAN, system.locate(JAN), dry_run=False))
    assert not jan.exists()


def test_erasure_verifies_nothing_remains(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = make(base)
    monkeypatch.setattr(system.store, "remove", lambda customer_id: True)  # a silent failure
    with pytest.raises(PermanentError, match="erasure incomplete"):
        list(system.erase(JAN, system.locate(JAN), dry_run=False))


def test_an_unfinished_deletion_is_finished_and_reported(base: Path) -> None:
    tomb = base / "dossiers" / ".dsr-erasing-0123"
    (tomb / "notes").mkdir(parents=True)
    (tomb / "notes" / "x.md").write_text("left over")
    system = make(base)
    assert any("unfinished deletion" in p for p in system.check().problems)
    assert system.locate(JAN)  # hidden folders are never read
    list(system.erase(JAN, system.locate(JAN), dry_run=False))
    assert not tomb.exists()
    assert system.check().ok


def test_bad_files_and_missing_root(base: Path) -> None:
    (base / "dossiers" / "1043" / "subject.toml").write_text("emails = [")
    system = make(base)
    with pytest.raises(PermanentError, match="1043/subject.toml is not valid TOML"):
        system.locate(JAN)
    assert not system.check().ok
    gone = make(base, root="nowhere")
    with pytest.raises(PermanentError, match="does not exist"):
        gone.locate(JAN)
    assert not gone.check().ok


def test_rectification_and_restriction_are_manual(base: Path) -> None:
    system = make(base)
    keys = system.locate(JAN)
    with pytest.raises(ManualStep, match="by hand"):
        system.rectify(JAN, keys, {"name": "Jan P."}, dry_run=False)
    with pytest.raises(ManualStep, match="restricted"):
        system.restrict(JAN, keys, lift=False, dry_run=False)
    with pytest.raises(ManualStep, match="Lift"):
        system.restrict(JAN, keys, lift=True, dry_run=False)


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"root": ""},
        {"root": "d", "customer_id_from": 3},
        {"root": "d", "phone_region": "Belgium"},
        {"root": "d", "colour": "blue"},
    ],
)
def test_bad_config(config: dict[str, Any], tmp_path: Path) -> None:
    from dsr_core.systems import ConfigError

    with pytest.raises(ConfigError) as info:
        FolderDossierSystem("dossier", config, make_context("dossier", tmp_path))
    assert "systems.dossier" in str(info.value)


def test_root_relative_to_the_config_folder(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(base / "outside")  # the working folder does not matter
    assert make(base).locate(JAN)


def test_every_field_and_category_has_labels_and_a_kind(base: Path) -> None:
    """The usual keys have labels in nl, en and fr; a key the technician made up
    (``installed`` is known, ``rack`` is not) is shown as written, in every language."""
    (base / "dossiers" / "1042" / "assets.toml").write_text(
        '[[asset]]\nid = "sw-01"\nname = "Switch"\nrack_position = "U12"\n'
    )
    system = make(base)
    seen = assert_labelled(system, system.access(JAN, system.locate(JAN)))
    assert {c for c, _ in seen} == {
        "contact",
        "asset",
        "credential",
        "dossier_note",
        "dossier_file",
    }
    assert field_of(system, "credential", "password").labels["nl"] == "Wachtwoord"
    assert field_of(system, "asset", "id").kind == "technical"
    assert field_of(system, "asset", "rack_position").labels == {
        "nl": "Rack position",
        "en": "Rack position",
        "fr": "Rack position",
    }
    assert system.titles == {
        "nl": "Technisch dossier",
        "en": "Technical file",
        "fr": "Dossier technique",
    }
