"""Schema versions and the steps between them.

Each step is frozen DDL: the tables as that release made them, never the current models, so a
database made by any earlier release upgrades in place, one step at a time, each step in its own
transaction together with the new version number. ``dsr_meta.schema_version`` says where a
database stands. A database newer than this release is refused rather than touched.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

from ..errors import UserError

Step = Callable[[sa.Connection], None]


def _tz() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _v1(conn: sa.Connection) -> None:
    """Release 0.1 foundation: requests, identities, clock pauses and the audit trail."""
    md = sa.MetaData()
    sa.Table(
        "dsr_meta",
        md,
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    sa.Table(
        "requests",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(30), nullable=False, index=True),
        sa.Column("subject_name", sa.String(255), nullable=False),
        sa.Column("received_on", sa.Date, nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("changes", sa.JSON),
        sa.Column("due_on", sa.Date),
        sa.Column("extended", sa.Boolean, nullable=False),
        sa.Column("extension_reason", sa.Text),
        sa.Column("extension_notified_on", sa.Date),
        sa.Column("verification_method", sa.Text),
        sa.Column("verified_at", _tz()),
        sa.Column("outcome_reason", sa.Text),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
        sa.Column("closed_at", _tz()),
    )
    sa.Table(
        "identities",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(320), nullable=False, index=True),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("system", sa.String(100)),
        sa.Column("source", sa.String(100), nullable=False),
    )
    sa.Table(
        "pauses",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("ended_on", sa.Date),
        sa.Column("note", sa.Text),
    )
    sa.Table(
        "audit_events",
        md,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", _tz(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("request_id", sa.Integer, index=True),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    md.create_all(conn)


def _v2(conn: sa.Connection) -> None:
    """Release 0.2 engine: one task per system and request, its results, later erasures."""
    md = sa.MetaData()
    sa.Table("requests", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "tasks",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("system_type", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("step", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("instructions", sa.Text),
        sa.Column("keys", sa.JSON),
        sa.Column("summary", sa.JSON),
        sa.Column("queued", sa.Boolean, nullable=False),
        sa.Column("lease_owner", sa.String(200)),
        sa.Column("lease_until", _tz()),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("started_at", _tz()),
        sa.Column("finished_at", _tz()),
        sa.Column("done_by", sa.String(100)),
        sa.Column("done_note", sa.Text),
        sa.UniqueConstraint("request_id", "system", name="uq_tasks_request_system"),
    )
    sa.Table(
        "scheduled_erasures",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False, index=True),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("done_at", _tz()),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("request_id", "system", "due_on", name="uq_sched_req_sys_day"),
    )
    sa.Table(
        "task_results",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("attempt", sa.String(32), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Index("ix_task_results_task_attempt_seq", "task_id", "attempt", "seq"),
    )
    md.create_all(
        conn,
        tables=[md.tables["tasks"], md.tables["task_results"], md.tables["scheduled_erasures"]],
    )
    conn.execute(
        sa.text("ALTER TABLE requests ADD COLUMN needs_attention BOOLEAN NOT NULL DEFAULT FALSE")
    )


def _v3(conn: sa.Connection) -> None:
    """Release 0.3 recipients: the suppliers register, disclosures and Art. 19 notices."""
    md = sa.MetaData()
    sa.Table("requests", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "suppliers",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("protocol", sa.String(20), nullable=False),
        sa.Column("webhook_url", sa.Text),
        sa.Column("secret_env", sa.String(100)),
        sa.Column("webhook_disabled_at", _tz()),
        sa.Column("webhook_disabled_reason", sa.Text),
        sa.Column("country", sa.String(2)),
        sa.Column("aliases", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
    )
    sa.Table(
        "disclosures",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "supplier_id", sa.Integer, sa.ForeignKey("suppliers.id"), nullable=False, index=True
        ),
        sa.Column("batch", sa.String(32), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.String(320), nullable=False, index=True),
        sa.Column("system", sa.String(100)),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("disclosed_on", sa.Date),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("request_id", sa.Integer),
        sa.Column("note", sa.Text),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
    )
    sa.Table(
        "notices",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("notice_id", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column(
            "supplier_id", sa.Integer, sa.ForeignKey("suppliers.id"), nullable=False, index=True
        ),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("identities", sa.JSON, nullable=False),
        sa.Column("changes", sa.JSON),
        sa.Column("confirm_by", sa.Date, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("webhook_id", sa.String(100), nullable=False),
        sa.Column("status_callback_url", sa.Text),
        sa.Column("channel", sa.String(20)),
        sa.Column("sends", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_sent_at", _tz()),
        sa.Column("last_sent_at", _tz()),
        sa.Column("last_attempt_at", _tz()),
        sa.Column("last_error", sa.Text),
        sa.Column("reference", sa.String(200)),
        sa.Column("resolved_at", _tz()),
        sa.Column("resolved_by", sa.String(100)),
        sa.Column("resolution", sa.Text),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
        sa.UniqueConstraint("request_id", "supplier_id", name="uq_notices_request_supplier"),
    )
    md.create_all(
        conn,
        tables=[md.tables["suppliers"], md.tables["disclosures"], md.tables["notices"]],
    )


def _v4(conn: sa.Connection) -> None:
    """dsr's own data: staff's free text of audit events, outside the hash chain (purgeable),
    and when a request's results were purged.

    Depends on nothing but the tables of version 1."""
    timestamp = _tz().compile(dialect=conn.dialect)
    conn.execute(sa.text(f"ALTER TABLE requests ADD COLUMN results_purged_at {timestamp}"))
    md = sa.MetaData()
    sa.Table(
        "audit_texts",
        md,
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(60), primary_key=True),
        sa.Column("request_id", sa.Integer, index=True),
        sa.Column("salt", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    md.create_all(conn)


def _v5(conn: sa.Connection) -> None:
    """The subject's answer (Art. 12(1)): when and how each request was answered. A table of
    its own (an answer given again adds a row), independent of version 4."""
    md = sa.MetaData()
    sa.Table("requests", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table(
        "answers",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False, index=True
        ),
        sa.Column("answered_at", _tz(), nullable=False),
        sa.Column("by", sa.String(20), nullable=False),
        sa.Column("letter", sa.String(40), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("bundle", sa.String(255)),
        sa.Column("bundle_sha256", sa.String(64)),
        sa.Column("encrypted", sa.Boolean, nullable=False),
        sa.Column("transport", sa.String(20)),
        sa.Column("message_id", sa.String(255)),
        sa.Column("actor", sa.String(100), nullable=False),
    )
    md.create_all(conn, tables=[md.tables["answers"]])


def _v6_notices(md: sa.MetaData, name: str) -> sa.Table:
    """The notices table of version 6: as version 3 made it, unique per request, supplier and
    kind (a restriction's recipients get a ``restriction-lift`` notice after its own)."""
    return sa.Table(
        name,
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("notice_id", sa.String(64), nullable=False, unique=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("supplier_id", sa.Integer, sa.ForeignKey("suppliers.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("identities", sa.JSON, nullable=False),
        sa.Column("changes", sa.JSON),
        sa.Column("confirm_by", sa.Date, nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("webhook_id", sa.String(100), nullable=False),
        sa.Column("status_callback_url", sa.Text),
        sa.Column("channel", sa.String(20)),
        sa.Column("sends", sa.Integer, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("first_sent_at", _tz()),
        sa.Column("last_sent_at", _tz()),
        sa.Column("last_attempt_at", _tz()),
        sa.Column("last_error", sa.Text),
        sa.Column("reference", sa.String(200)),
        sa.Column("resolved_at", _tz()),
        sa.Column("resolved_by", sa.String(100)),
        sa.Column("resolution", sa.Text),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _tz(), nullable=False),
        sa.Column("updated_at", _tz(), nullable=False),
        sa.UniqueConstraint(
            "request_id", "supplier_id", "kind", name="uq_notices_request_supplier_kind"
        ),
    )


_V6_NOTICE_COLUMNS = (
    "id, notice_id, request_id, supplier_id, kind, state, identities, changes, confirm_by, "
    "message_id, webhook_id, status_callback_url, channel, sends, attempts, first_sent_at, "
    "last_sent_at, last_attempt_at, last_error, reference, resolved_at, resolved_by, "
    "resolution, created_by, created_at, updated_at"
)


def _v6(conn: sa.Connection) -> None:
    """The request's language (nullable: the controller's), and a second notice per request
    and supplier of another kind (the Art. 19 notice that a restriction was lifted).

    SQLite cannot drop a table's unique constraint: the notices table is rebuilt (copied,
    dropped, renamed; no table refers to it) with its indexes under their version-3 names."""
    conn.execute(sa.text("ALTER TABLE requests ADD COLUMN language VARCHAR(2)"))
    if conn.dialect.name != "sqlite":
        conn.execute(sa.text("ALTER TABLE notices DROP CONSTRAINT uq_notices_request_supplier"))
        conn.execute(
            sa.text(
                "ALTER TABLE notices ADD CONSTRAINT uq_notices_request_supplier_kind "
                "UNIQUE (request_id, supplier_id, kind)"
            )
        )
        return
    md = sa.MetaData()
    sa.Table("requests", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("suppliers", md, sa.Column("id", sa.Integer, primary_key=True))
    rebuilt = _v6_notices(md, "notices_v6")
    md.create_all(conn, tables=[rebuilt])
    conn.execute(
        sa.text(
            f"INSERT INTO notices_v6 ({_V6_NOTICE_COLUMNS}) "
            f"SELECT {_V6_NOTICE_COLUMNS} FROM notices"
        )
    )
    conn.execute(sa.text("DROP TABLE notices"))
    conn.execute(sa.text("ALTER TABLE notices_v6 RENAME TO notices"))
    for column in ("request_id", "supplier_id", "state"):
        conn.execute(sa.text(f"CREATE INDEX ix_notices_{column} ON notices ({column})"))


def _v7(conn: sa.Connection) -> None:
    """A supplier's transfer safeguard (Art. 15(2), Chapter V): the adequacy decision or the
    appropriate safeguard for a supplier outside the EEA. Depends on version 3's table only."""
    conn.execute(sa.text("ALTER TABLE suppliers ADD COLUMN safeguard TEXT"))


#: version -> the step that makes it from the version before.
STEPS: dict[int, Step] = {1: _v1, 2: _v2, 3: _v3, 4: _v4, 5: _v5, 6: _v6, 7: _v7}
LATEST = max(STEPS)


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("dsr_meta"):
        return 0
    row = conn.execute(
        sa.text("SELECT value FROM dsr_meta WHERE key = 'schema_version'")
    ).scalar_one_or_none()
    return int(row) if row is not None else 0


def upgrade(engine: sa.Engine, target: int = LATEST) -> list[int]:
    """Bring the database to ``target``; returns the versions applied (empty: up to date)."""
    applied: list[int] = []
    with engine.connect() as conn:
        version = current_version(conn)
    if version > LATEST:
        raise UserError(
            f"the database has schema version {version}, newer than this dsr understands "
            f"({LATEST}): upgrade dsr"
        )
    for step in range(version + 1, target + 1):
        with engine.begin() as conn:
            if current_version(conn) >= step:  # another process got there first
                continue
            STEPS[step](conn)
            _set_version(conn, step)
        applied.append(step)
    return applied


def _set_version(conn: sa.Connection, version: int) -> None:
    updated = conn.execute(
        sa.text("UPDATE dsr_meta SET value = :v WHERE key = 'schema_version'"), {"v": str(version)}
    ).rowcount
    if not updated:
        conn.execute(
            sa.text("INSERT INTO dsr_meta (key, value) VALUES ('schema_version', :v)"),
            {"v": str(version)},
        )
