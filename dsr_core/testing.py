"""The conformance suite a plugin author runs against their own system type.

Subclass :class:`SystemConformance` in a test module and provide four fixtures::

    from dsr_core.testing import SystemConformance, make_context

    class TestMySystem(SystemConformance):
        @pytest.fixture
        def system(self, tmp_path):           # a system holding the subject (and others)
            ...
            return MySystem("mine", {"path": str(db)}, make_context("mine", tmp_path))

        @pytest.fixture
        def subject(self):                    # someone the system holds
            return Subject("Jan Peeters", (Identity(IdentityKind.EMAIL, "jan@example.be"),))

        @pytest.fixture
        def stranger(self):                   # someone it does not hold
            return Subject("Nobody", (Identity(IdentityKind.EMAIL, "nobody@example.be"),))

        @pytest.fixture
        def bad_config(self, tmp_path):       # a config the type must refuse
            return {"path": 42}

The suite then checks, for every kind the type declares: locate finds the subject and not the
stranger; access yields well-formed, unique records lazily, each category and field labelled
in nl, en and fr (:mod:`dsr_core.fields`; technical fields need no label); erase removes what
it says it erased (a later access no longer finds it), keeps records only with a basis and
until-date, changes nothing on a dry run and is harmless the second time; a bad config is
refused with a :class:`~dsr_core.systems.ConfigError`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from .fields import unlabelled_category, unlabelled_field
from .model import Action, Record, RequestKind, Subject
from .systems import ConfigError, ManualStep, System, SystemContext


def make_context(
    name: str,
    base_dir: Path,
    *,
    today: date | None = None,
    secret_key: bytes = b"dsr-test-key",
) -> SystemContext:
    """A :class:`SystemContext` for tests: state under ``base_dir``, ``today`` frozen if given."""
    state = base_dir / ".dsr-state" / name
    return SystemContext(
        system_name=name,
        base_dir=base_dir,
        state_dir=state,
        secret_key=secret_key,
        today=(lambda: today) if today is not None else date.today,
    )


def _snapshot(system: System, subject: Subject) -> dict[str, Record]:
    keys = list(system.locate(subject))
    if not keys:
        return {}
    return {r.record_id: r for r in system.access(subject, keys)}


class SystemConformance:
    """Behaviour every system type must show. See the module docstring for the fixtures."""

    @pytest.fixture
    def system(self) -> System:
        raise NotImplementedError("provide a `system` fixture returning your configured system")

    @pytest.fixture
    def subject(self) -> Subject:
        raise NotImplementedError("provide a `subject` fixture: someone the system holds")

    @pytest.fixture
    def stranger(self) -> Subject:
        raise NotImplementedError("provide a `stranger` fixture: someone the system lacks")

    @pytest.fixture
    def bad_config(self) -> Mapping[str, Any]:
        raise NotImplementedError("provide a `bad_config` fixture the type must refuse")

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def _supports(system: System, kind: RequestKind) -> bool:
        return kind in type(system).kinds

    # -- the checks -------------------------------------------------------------------------
    def test_declares_kinds(self, system: System) -> None:
        assert type(system).kinds <= set(RequestKind)
        assert type(system).description, "give the system type a one-line description"

    def test_check_reports_healthy(self, system: System) -> None:
        result = system.check()
        assert result.ok, f"check() on a working system reported {result.problems}"

    def test_locate_finds_subject_not_stranger(
        self, system: System, subject: Subject, stranger: Subject
    ) -> None:
        keys = list(system.locate(subject))
        assert keys, "locate() found nothing for the subject the fixture says it holds"
        for key in keys:
            assert key.source in ("request", system.name), (
                f"identity {key.kind} from locate() must have source 'request' or the system "
                f"name, not {key.source!r}"
            )
        assert not list(system.locate(stranger)), "locate() found the stranger"

    def test_access_yields_records_lazily(self, system: System, subject: Subject) -> None:
        if not self._supports(system, RequestKind.ACCESS):
            pytest.skip("the type does not support access")
        keys = list(system.locate(subject))
        result = system.access(subject, keys)
        assert inspect.isgenerator(result) or isinstance(result, Iterator), (
            "access() must return an iterator (yield records), not a list"
        )
        records = list(result)
        assert records, "access() yielded nothing for the subject"
        ids = [r.record_id for r in records]
        assert len(ids) == len(set(ids)), "record_id must be unique within a system"
        for record in records:
            assert record.system == system.name
            assert record.category, "every record needs a category"
            assert set(record.secret_fields) <= set(record.fields)

    def test_access_fields_and_categories_have_labels(
        self, system: System, subject: Subject
    ) -> None:
        """The report shows every category and field under a label in the subject's language
        (nl, en, fr): the system's ``categories`` and ``fields``, or the core table of
        :mod:`dsr_core.fields`; a technical field needs no label (no report shows it)."""
        if not self._supports(system, RequestKind.ACCESS):
            pytest.skip("the type does not support access")
        keys = list(system.locate(subject))
        missing: dict[str, list[str]] = {}
        for record in system.access(subject, keys):
            category = str(record.category)
            languages = unlabelled_category(system, category)
            if languages:
                missing.setdefault(f"category {category!r}", languages)
            for name in record.fields:
                languages = unlabelled_field(system, category, str(name))
                if languages:
                    missing.setdefault(f"field {category}.{name}", languages)
        assert not missing, "no label (declare it in `categories`/`fields`): " + "; ".join(
            f"{what} in {', '.join(langs)}" for what, langs in sorted(missing.items())
        )

    def test_erase_removes_what_it_reports(self, system: System, subject: Subject) -> None:
        if not self._supports(system, RequestKind.ERASURE):
            pytest.skip("the type does not support erasure")
        before = _snapshot(system, subject)
        keys = list(system.locate(subject))
        outcomes = list(system.erase(subject, keys, dry_run=False))
        assert outcomes, "erase() reported no outcome for a subject with records"
        erased = {o.record_id for o in outcomes if o.action == Action.ERASED}
        for outcome in outcomes:
            if outcome.action == Action.KEPT:
                assert outcome.basis, f"kept record {outcome.record_id} needs a legal basis"
                assert outcome.until, f"kept record {outcome.record_id} needs an until-date"
        after = _snapshot(system, subject)
        assert not erased & set(after), "access() still finds records erase() reported erased"
        assert set(after) <= set(before)

    def test_dry_run_changes_nothing(self, system: System, subject: Subject) -> None:
        if not self._supports(system, RequestKind.ERASURE):
            pytest.skip("the type does not support erasure")
        before = _snapshot(system, subject)
        keys = list(system.locate(subject))
        outcomes = list(system.erase(subject, keys, dry_run=True))
        assert outcomes, "a dry run must report what would change"
        after = _snapshot(system, subject)
        assert set(after) == set(before)
        assert [after[k].fields for k in sorted(after)] == [
            before[k].fields for k in sorted(before)
        ]

    def test_erase_twice_is_harmless(self, system: System, subject: Subject) -> None:
        if not self._supports(system, RequestKind.ERASURE):
            pytest.skip("the type does not support erasure")
        keys = list(system.locate(subject))
        list(system.erase(subject, keys, dry_run=False))
        keys = list(system.locate(subject))
        again = list(system.erase(subject, keys, dry_run=False))
        assert not [o for o in again if o.action == Action.ERASED], (
            "a second erase() reported records erased again"
        )

    def test_bad_config_is_refused(
        self, system: System, bad_config: Mapping[str, Any], tmp_path: Path
    ) -> None:
        with pytest.raises(ConfigError) as info:
            type(system)(system.name, bad_config, make_context(system.name, tmp_path))
        message = str(info.value)
        assert "\n" not in message.strip(), "a config error is one line"
        assert system.name in message, "a config error names the system"


__all__ = ["ManualStep", "SystemConformance", "make_context"]
