"""The hudu type against a fake Hudu API on a real HTTP server."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from dsr_core.model import Action, Identity, IdentityKind, Subject
from dsr_core.systems import ConfigError, ManualStep, PermanentError, TransientError
from dsr_core.testing import SystemConformance, make_context
from dsr_plugins.techdossier import HuduSystem
from dsr_plugins.techdossier.hudu_client import HuduAuthError
from tests.labels import assert_labelled, field_of
from tests.techdossier.fake_hudu import FakeHudu

EMAIL, PHONE, CUSTOMER_ID = IdentityKind.EMAIL, IdentityKind.PHONE, IdentityKind.CUSTOMER_ID
API_KEY = "hudu-key-7c1e9a"
PASSWORD = "Sw1tch!Adm1n#2024"
OTP = "JBSWY3DPEHPK3PXP"
JAN = Subject("Jan", (Identity(EMAIL, "Jan.Peeters@example.be"),))


def seed(hudu: FakeHudu) -> None:
    hudu.add("asset_layouts", id=1, name="People")
    hudu.add("asset_layouts", id=2, name="Computer Assets")
    hudu.add("companies", id=11, name="Peeters IT", id_number="1042", phone_number="")
    hudu.add("companies", id=12, name="Janssens", id_number="1043", phone_number="09 377 12 34")
    hudu.add("companies", id=13, name="Old", id_number="1050", archived=True)
    hudu.add(
        "assets",
        id=101,
        company_id=11,
        asset_layout_id=1,
        asset_type="People",
        name="Jan Peeters",
        primary_mail="jan.peeters@example.be",
        fields=[{"label": "Mobile", "value": "0477 12 34 56"}],
    )
    hudu.add(
        "assets",
        id=102,
        company_id=11,
        asset_layout_id=2,
        asset_type="Computer Assets",
        name="Switch",
        primary_serial="SW-1",
        fields=[{"label": "Admin password", "value": PASSWORD}, {"label": "VLANs", "value": "10"}],
    )
    hudu.add("assets", id=103, company_id=11, asset_layout_id=2, name="Old NAS", archived=True)
    hudu.add(
        "asset_passwords",
        id=201,
        company_id=11,
        name="Microsoft 365",
        username="admin@peeters.be",
        password=PASSWORD,
        otp_secret=OTP,
        url="https://portal.office.com",
    )
    hudu.add("asset_passwords", id=202, company_id=11, name="Old wifi", password="x", archived=True)
    hudu.add("asset_passwords", id=203, company_id=12, name="Janssens wifi", password="y")
    hudu.add("articles", id=301, company_id=11, name="Network", content="<p>VLAN 10</p>")
    hudu.add("articles", id=302, company_id=None, name="Global how-to", content="<p>x</p>")
    hudu.add("articles", id=303, company_id=12, name="Janssens notes", content="<p>y</p>")


@pytest.fixture
def hudu() -> Iterator[FakeHudu]:
    fake = FakeHudu(api_key=API_KEY)
    seed(fake)
    with fake.serve():
        yield fake


def config(hudu: FakeHudu, **extra: Any) -> dict[str, Any]:
    return {
        "url": hudu.url,
        "api_key": API_KEY,
        "customer_id_from": "crm",
        "contact_layouts": ["People"],
        "backoff": 0.001,
        "backoff_max": 0.01,
        "request_timeout": 2,
        **extra,
    }


@pytest.fixture
def make(hudu: FakeHudu, tmp_path: Path) -> Callable[..., HuduSystem]:
    def build(**extra: Any) -> HuduSystem:
        return HuduSystem("hudu", config(hudu, **extra), make_context("hudu", tmp_path))

    return build


class TestHuduConformance(SystemConformance):
    @pytest.fixture
    def system(self, make: Callable[..., HuduSystem]) -> HuduSystem:
        return make()

    @pytest.fixture
    def subject(self) -> Subject:
        return JAN

    @pytest.fixture
    def stranger(self) -> Subject:
        return Subject(
            "Nobody",
            (Identity(EMAIL, "nobody@example.be"), Identity(CUSTOMER_ID, "1999", system="crm")),
        )

    @pytest.fixture
    def bad_config(self) -> Mapping[str, Any]:
        return {"url": "https://hudu.example.be", "api_key": "k", "page_size": 0}


def company_ids(keys: Any) -> set[str]:
    return {k.value for k in keys if k.kind == CUSTOMER_ID}


def test_locate_by_crm_id_phone_and_contact_email(make: Callable[..., HuduSystem]) -> None:
    system = make()
    crm = Subject("J", (Identity(CUSTOMER_ID, "1043", system="crm"),))
    assert system.locate(crm) == [Identity(CUSTOMER_ID, "12", system="hudu", source="hudu")]
    archived = Subject("O", (Identity(CUSTOMER_ID, "1050", system="crm"),))
    assert company_ids(system.locate(archived)) == {"13"}
    assert company_ids(system.locate(Subject("A", (Identity(PHONE, "+3293771234"),)))) == {"12"}
    assert company_ids(system.locate(JAN)) == {"11"}
    assert company_ids(system.locate(Subject("J", (Identity(PHONE, "+32477123456"),)))) == {"11"}
    own = Subject("J", (Identity(CUSTOMER_ID, "11", system="hudu"),))
    assert company_ids(system.locate(own)) == {"11"}
    missing = Subject("J", (Identity(CUSTOMER_ID, "99", system="hudu"),))
    assert system.locate(missing) == []  # a 404, not an error


def test_contact_email_needs_the_layout(make: Callable[..., HuduSystem]) -> None:
    assert make(contact_layouts=[]).locate(JAN) == []
    assert company_ids(make(contact_layouts=[1]).locate(JAN)) == {"11"}
    with pytest.raises(PermanentError, match="unknown asset layouts"):
        make(contact_layouts=["Persons"]).locate(JAN)


def test_access_returns_the_dossier_with_secrets_marked(
    make: Callable[..., HuduSystem], capsys: pytest.CaptureFixture[str]
) -> None:
    system = make()
    records = {r.record_id: r for r in system.access(JAN, system.locate(JAN))}
    assert set(records) == {
        "company/11",
        "asset/101",
        "asset/102",
        "asset/103",  # archived, still theirs
        "asset_password/201",
        "asset_password/202",
        "article/301",
    }
    credential = records["asset_password/201"]
    assert credential.category == "credential"
    assert credential.secret_fields == {"password", "otp_secret"}
    assert credential.fields["otp_secret"] == OTP
    switch = records["asset/102"]
    assert switch.category == "asset"
    assert switch.secret_fields == {"field:Admin password"}
    assert switch.fields["field:VLANs"] == "10"
    assert records["article/301"].category == "dossier_note"
    assert records["company/11"].category == "contact"
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err and OTP not in out.out + out.err


def test_pages_are_followed_even_when_the_server_caps_their_size(
    hudu: FakeHudu, make: Callable[..., HuduSystem]
) -> None:
    for n in range(30):
        hudu.add("assets", company_id=12, asset_layout_id=2, name=f"PC {n}")
    hudu.max_page_size = 7
    system = make(page_size=10)
    subject = Subject("A", (Identity(CUSTOMER_ID, "1043", system="crm"),))
    assets = [r for r in system.access(subject, system.locate(subject)) if r.category == "asset"]
    assert len(assets) == 30 and len({r.record_id for r in assets}) == 30
    # 30 items in pages of 7: 5 pages (the last short) for the live ones, 1 for archived
    assert hudu.count("GET /api/v1/companies/12/assets?") == 6


def test_a_server_ignoring_page_is_read_once(
    hudu: FakeHudu, make: Callable[..., HuduSystem]
) -> None:
    hudu.ignore_page = True
    system = make()
    records = [r.record_id for r in system.access(JAN, system.locate(JAN))]
    assert len(records) == len(set(records)) == 7
    hudu.max_page_size = 2  # now the repeated pages are full: refused, not looped over
    with pytest.raises(PermanentError, match="repeats the same page"):
        list(make(page_size=2).access(JAN, system.locate(JAN)))


def test_erase_deletes_everything_of_the_company_then_the_company(
    hudu: FakeHudu,
    make: Callable[..., HuduSystem],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    system = make()
    outcomes = list(system.erase(JAN, system.locate(JAN), dry_run=False))
    assert {o.action for o in outcomes} == {Action.ERASED}
    assert {o.record_id for o in outcomes} == {
        "asset_password/201",
        "asset_password/202",
        "article/301",
        "asset/101",
        "asset/102",
        "asset/103",
        "company/11",
    }
    deletes = [r for r in hudu.requests if r.startswith("DELETE")]
    assert deletes[-1] == "DELETE /api/v1/companies/11"  # the company last
    assert 11 not in hudu.data["companies"]
    assert set(hudu.data["articles"]) == {302, 303}  # the global and the other's stay
    assert set(hudu.data["asset_passwords"]) == {203}
    out = capsys.readouterr()
    logged = caplog.text + out.out + out.err
    assert PASSWORD not in logged and API_KEY not in logged and "peeters" not in logged.lower()


def test_erase_dry_run_and_second_run(hudu: FakeHudu, make: Callable[..., HuduSystem]) -> None:
    system = make()
    dry = list(system.erase(JAN, system.locate(JAN), dry_run=True))
    assert len(dry) == 7 and not hudu.count("DELETE")
    list(system.erase(JAN, system.locate(JAN), dry_run=False))
    stale = [Identity(CUSTOMER_ID, "11", system="hudu", source="hudu")]
    assert list(system.erase(JAN, stale, dry_run=False)) == []


def test_erasure_is_verified(hudu: FakeHudu, make: Callable[..., HuduSystem]) -> None:
    hudu.ignore_deletes = True  # says 204, deletes nothing
    system = make(max_attempts=2)
    with pytest.raises(PermanentError, match="erasure incomplete"):
        list(system.erase(JAN, system.locate(JAN), dry_run=False))


def test_a_server_ignoring_the_company_filter_cannot_make_us_touch_others(
    hudu: FakeHudu, make: Callable[..., HuduSystem]
) -> None:
    hudu.ignore_company_filter = True
    system = make()
    records = {r.record_id for r in system.access(JAN, system.locate(JAN))}
    assert "asset_password/203" not in records and "article/302" not in records
    list(system.erase(JAN, system.locate(JAN), dry_run=False))
    assert {203} <= set(hudu.data["asset_passwords"]) and {302, 303} <= set(hudu.data["articles"])


def test_bad_key_is_refused_without_retry(
    hudu: FakeHudu, make: Callable[..., HuduSystem], capsys: pytest.CaptureFixture[str]
) -> None:
    system = make(api_key="wrong-key-42")
    with pytest.raises(HuduAuthError) as info:
        system.locate(JAN)
    assert "401" in str(info.value) and "wrong-key-42" not in str(info.value)
    assert len(hudu.requests) == 1
    result = system.check()
    assert not result.ok and "401" in result.problems[0]
    assert "wrong-key-42" not in capsys.readouterr().out


def test_429_and_5xx_are_retried(hudu: FakeHudu, make: Callable[..., HuduSystem]) -> None:
    system = make()
    hudu.fail_next(1, status=429, match="GET /api/v1/companies?", headers={"Retry-After": "60"})
    hudu.fail_next(2, status=503, match="GET /api/v1/companies?")
    assert company_ids(system.locate(Subject("A", (Identity(PHONE, "093771234"),)))) == {"12"}
    # 3 failures, then per archived state a short page and the empty page that ends it
    assert hudu.count("GET /api/v1/companies?") == 3 + 4


def test_timeouts_are_retried_and_attempts_bounded(
    hudu: FakeHudu, make: Callable[..., HuduSystem]
) -> None:
    system = make(request_timeout=0.3)
    hudu.fail_next(1, delay=0.8, match="GET /api/v1/companies/11")
    own = Subject("J", (Identity(CUSTOMER_ID, "11", system="hudu"),))
    assert company_ids(system.locate(own)) == {"11"}
    assert hudu.count("GET /api/v1/companies/11") == 2
    bounded = make(max_attempts=3)
    hudu.fail_next(10, status=500, match="GET /api/v1/companies/12")
    with pytest.raises(TransientError, match="HTTP 500"):
        bounded.locate(Subject("J", (Identity(CUSTOMER_ID, "12", system="hudu"),)))
    assert hudu.count("GET /api/v1/companies/12") == 3


def test_other_4xx_are_not_retried(hudu: FakeHudu, make: Callable[..., HuduSystem]) -> None:
    hudu.fail_next(5, status=422, match="GET /api/v1/companies/11")
    with pytest.raises(PermanentError, match="HTTP 422"):
        make().locate(Subject("J", (Identity(CUSTOMER_ID, "11", system="hudu"),)))
    assert hudu.count("GET /api/v1/companies/11") == 1


def test_rectification_and_restriction_are_manual(make: Callable[..., HuduSystem]) -> None:
    system = make()
    with pytest.raises(ManualStep):
        system.rectify(JAN, [], {"name": "x"}, dry_run=False)
    with pytest.raises(ManualStep):
        system.restrict(JAN, [], lift=False, dry_run=False)


def test_check(make: Callable[..., HuduSystem], hudu: FakeHudu) -> None:
    assert make().check().ok
    assert not hudu.count("DELETE")


@pytest.mark.parametrize(
    "bad",
    [
        {"api_key": "k"},
        {"url": "hudu.example.be", "api_key": "k"},
        {"url": "https://h.example.be", "api_key": "k", "contact_layouts": [True]},
        {"url": "https://h.example.be", "api_key": "k", "max_attempts": 0},
        {"url": "https://h.example.be", "api_key": "k", "retries": 3},
    ],
)
def test_bad_config(bad: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        HuduSystem("hudu", bad, make_context("hudu", tmp_path))
    assert "systems.hudu" in str(info.value) and "\n" not in str(info.value)


def test_every_field_and_category_has_labels_and_a_kind(make: Callable[..., HuduSystem]) -> None:
    """Hudu's own fields have labels in nl, en and fr; an asset field is labelled by the
    label it has in Hudu (exported as ``field:<label>``), in every language."""
    system = make()
    seen = assert_labelled(system, system.access(JAN, system.locate(JAN)))
    assert {c for c, _ in seen} == {"contact", "asset", "credential", "dossier_note"}
    assert field_of(system, "contact", "name").labels["en"] == "Company name"
    assert field_of(system, "asset", "name").labels["en"] == "Name"
    assert field_of(system, "asset", "company_id").kind == "technical"
    assert field_of(system, "asset", "field:VLANs").labels == {
        "nl": "VLANs",
        "en": "VLANs",
        "fr": "VLANs",
    }
    assert field_of(system, "contact", "phone_number").kind == "phone"
