"""CDR tables as Asterisk and FreePBX create them, filled with sample calls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa


def _time() -> sa.types.TypeEngine:
    # Asterisk's SQLite backends store text; the servers have real DATETIME/TIMESTAMP columns
    return sa.DateTime().with_variant(sa.String(32), "sqlite")


def cdr_table(metadata: sa.MetaData, layout: str, *, indexes: bool = True) -> sa.Table:
    """``layout`` "start": Asterisk's own schema; "calldate": FreePBX's asteriskcdrdb.cdr."""
    s = sa.String
    if layout == "start":
        columns = [
            sa.Column("accountcode", s(80)),
            sa.Column("src", s(80)),
            sa.Column("dst", s(80)),
            sa.Column("dcontext", s(80)),
            sa.Column("clid", s(80)),
            sa.Column("channel", s(80)),
            sa.Column("dstchannel", s(80)),
            sa.Column("lastapp", s(80)),
            sa.Column("lastdata", s(80)),
            sa.Column("start", _time()),
            sa.Column("answer", _time()),
            sa.Column("end", _time()),
            sa.Column("duration", sa.Integer),
            sa.Column("billsec", sa.Integer),
            sa.Column("disposition", s(45)),
            sa.Column("amaflags", s(45)),
            sa.Column("userfield", s(256)),
            sa.Column("uniqueid", s(150)),
            sa.Column("linkedid", s(150)),
            sa.Column("peeraccount", s(80)),
            sa.Column("sequence", sa.Integer),
        ]
        keys = ["src", "dst", "start"] if indexes else []
    else:
        columns = [
            sa.Column("calldate", _time(), nullable=False),
            sa.Column("clid", s(80), nullable=False, server_default=""),
            sa.Column("src", s(80), nullable=False, server_default=""),
            sa.Column("dst", s(80), nullable=False, server_default=""),
            sa.Column("dcontext", s(80), nullable=False, server_default=""),
            sa.Column("channel", s(80), nullable=False, server_default=""),
            sa.Column("dstchannel", s(80), nullable=False, server_default=""),
            sa.Column("lastapp", s(80), nullable=False, server_default=""),
            sa.Column("lastdata", s(80), nullable=False, server_default=""),
            sa.Column("duration", sa.Integer, nullable=False, server_default="0"),
            sa.Column("billsec", sa.Integer, nullable=False, server_default="0"),
            sa.Column("disposition", s(45), nullable=False, server_default=""),
            sa.Column("amaflags", sa.Integer, nullable=False, server_default="0"),
            sa.Column("accountcode", s(20), nullable=False, server_default=""),
            sa.Column("uniqueid", s(32), nullable=False, server_default=""),
            sa.Column("userfield", s(255), nullable=False, server_default=""),
            sa.Column("did", s(50), nullable=False, server_default=""),
            sa.Column("recordingfile", s(255), nullable=False, server_default=""),
            sa.Column("cnum", s(80), nullable=False, server_default=""),
            sa.Column("cnam", s(80), nullable=False, server_default=""),
            sa.Column("outbound_cnum", s(80), nullable=False, server_default=""),
            sa.Column("outbound_cnam", s(80), nullable=False, server_default=""),
            sa.Column("dst_cnam", s(80), nullable=False, server_default=""),
            sa.Column("linkedid", s(32), nullable=False, server_default=""),
            sa.Column("peeraccount", s(80), nullable=False, server_default=""),
            sa.Column("sequence", sa.Integer, nullable=False, server_default="0"),
        ]
        # FreePBX's own keys, plus those check() asks for
        keys = ["calldate", "dst", "accountcode", "uniqueid", "did"]
        keys += ["src", "cnum", "outbound_cnum"] if indexes else []
    table = sa.Table("cdr", metadata, *columns)
    for name in keys:
        sa.Index(f"cdr_{name}_idx", table.c[name])
    return table


def cel_table(metadata: sa.MetaData, *, indexes: bool = True) -> sa.Table:
    """FreePBX's asteriskcdrdb.cel."""
    s = sa.String
    table = sa.Table(
        "cel",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("eventtype", s(30), nullable=False),
        sa.Column("eventtime", _time(), nullable=False),
        sa.Column("cid_name", s(80), nullable=False),
        sa.Column("cid_num", s(80), nullable=False),
        sa.Column("cid_ani", s(80), nullable=False),
        sa.Column("cid_rdnis", s(80), nullable=False),
        sa.Column("cid_dnid", s(80), nullable=False),
        sa.Column("exten", s(80), nullable=False),
        sa.Column("context", s(80), nullable=False),
        sa.Column("channame", s(80), nullable=False),
        sa.Column("appname", s(80), nullable=False),
        sa.Column("appdata", s(80), nullable=False),
        sa.Column("amaflags", sa.Integer, nullable=False),
        sa.Column("accountcode", s(20), nullable=False),
        sa.Column("uniqueid", s(32), nullable=False),
        sa.Column("linkedid", s(32), nullable=False),
        sa.Column("peer", s(80), nullable=False),
        sa.Column("userdeftype", s(255), nullable=False),
        sa.Column("extra", s(512), nullable=False),
    )
    sa.Index("uniqueid_index", table.c.uniqueid)
    sa.Index("linkedid_index", table.c.linkedid)
    if indexes:
        for name in ("cid_num", "cid_ani", "cid_dnid", "exten", "cid_rdnis"):
            sa.Index(f"cel_{name}_idx", table.c[name])
    return table


def cdr_row(
    src: str,
    dst: str,
    start: str,
    uniqueid: str,
    *,
    name: str = "Some Caller",
    duration: int = 65,
    billsec: int = 60,
    disposition: str = "ANSWERED",
    **extra: Any,
) -> dict[str, Any]:
    """A call as both layouts store it (the table decides which columns it keeps)."""
    began = datetime.fromisoformat(start)
    return {
        "src": src,
        "dst": dst,
        "clid": f'"{name}" <{src}>',
        "dcontext": "from-internal",
        "channel": "PJSIP/trunk-00000001",
        "dstchannel": f"PJSIP/{dst}-00000002",
        "lastapp": "Dial",
        "lastdata": f"PJSIP/{dst},30",
        "start": began,
        "calldate": began,
        "answer": began.replace(second=5) if billsec else None,
        "end": began.replace(second=5 + billsec % 50),
        "duration": duration,
        "billsec": billsec,
        "disposition": disposition,
        "amaflags": 3,
        "uniqueid": uniqueid,
        "linkedid": uniqueid,
        "sequence": 1,
        "cnum": src,
        "cnam": name,
        **extra,
    }


def cel_row(event: str, when: str, cid_num: str, exten: str, uniqueid: str, name: str = "X"):
    return {
        "eventtype": event,
        "eventtime": datetime.fromisoformat(when),
        "cid_name": name,
        "cid_num": cid_num,
        "cid_ani": cid_num,
        "cid_rdnis": "",
        "cid_dnid": exten,
        "exten": exten,
        "context": "from-trunk",
        "channame": f"PJSIP/trunk-{uniqueid}",
        "appname": "Dial",
        "appdata": f"PJSIP/{exten},30",
        "amaflags": 3,
        "accountcode": "",
        "uniqueid": uniqueid,
        "linkedid": uniqueid,
        "peer": "",
        "userdeftype": "",
        "extra": "",
    }


def insert(engine: sa.Engine, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    sqlite = engine.dialect.name == "sqlite"
    names = set(table.c.keys())
    prepared = []
    for row in rows:
        kept = {k: v for k, v in row.items() if k in names}
        if sqlite:
            kept = {
                k: (v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v)
                for k, v in kept.items()
            }
        prepared.append(kept)
    with engine.begin() as conn:
        for row in prepared:
            conn.execute(table.insert().values(**row))
