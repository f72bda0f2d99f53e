"""A system that can only pseudonymise: it keeps a keyed hash of the subject's e-mail (with
``SystemContext.pseudonymise``) and says so, as the system contract asks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from dsr_core import hookimpl
from dsr_core.model import Action, Identity, IdentityKind, Outcome, RequestKind, Subject
from dsr_core.systems import RegisterSystem, System


class PseudoSystem(System):
    description = "tests: a ledger that keeps a pseudonym of the e-mail"
    kinds = frozenset({RequestKind.ERASURE})
    config_keys = {}

    def locate(self, subject: Subject) -> Sequence[Identity]:
        return [
            Identity(IdentityKind.CUSTOMER_ID, "L-1", system=self.name, source=self.name)
            for _ in subject.values(IdentityKind.EMAIL)
        ][:1]

    def erase(
        self, subject: Subject, keys: Sequence[Identity], *, dry_run: bool
    ) -> Iterator[Outcome]:
        for email in sorted(subject.values(IdentityKind.EMAIL)):
            token = self.context.pseudonymise(email)
            yield Outcome(
                "ledger:1",
                "ledger",
                Action.PSEUDONYMISED,
                detail=f"the e-mail became {token.split('-')[0]}-… (keyed, reversible)",
            )


@hookimpl
def dsr_register_systems(register: RegisterSystem) -> None:
    register("pseudo-store", PseudoSystem)
