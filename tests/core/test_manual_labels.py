"""The manual type yields no records: the report names its systems by their configured
``title``, else by the type's title, in the subject's language (issue 12)."""

from __future__ import annotations

import pytest

from dsr_core.builtins import ManualSystem
from dsr_core.model import Subject
from dsr_core.systems import ManualStep
from dsr_core.testing import make_context
from tests.labels import LANGUAGES


def test_manual_has_a_title_in_every_language_and_no_records(tmp_path) -> None:
    assert all(ManualSystem.titles[lang].strip() for lang in LANGUAGES)
    assert len(set(ManualSystem.titles.values())) == 3  # translated, not copied
    system = ManualSystem("archive", {}, make_context("archive", tmp_path))
    with pytest.raises(ManualStep):
        system.locate(Subject("Jan", ()))
