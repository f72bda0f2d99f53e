"""Where a reversible form remains, the erasure report says pseudonymised, not anonymised."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

PLUGINS = Path(__file__).parent / "plugins"


def test_a_pseudonymised_record_is_reported_as_such(dsr, tmp_path):
    dsr.write_config(
        f'[controller]\nname = "Voxtra"\nlanguage = "en"\n[plugins]\ndir = "{PLUGINS}"\n'
        '[systems.ledger]\ntype = "pseudo-store"\n'
    )
    dsr("init")
    rid = str(dsr.json("request", "new", "erasure", "--name", "Jan", "--email", "j@x.be")["id"])
    dsr("request", "verify", rid, "--method", "eID")
    dsr("request", "run", rid)
    out = tmp_path / "erasure.zip"
    dsr("export", rid, "-o", str(out))
    with zipfile.ZipFile(out) as zf:
        report = zf.read("report.html").decode()
        manifest = json.loads(zf.read("manifest.json"))
    assert "pseudonymised (a reversible form remains)" in report
    assert "pseudonymised" in json.dumps(manifest)
