"""Secrets are masked unless asked for, and then only inside an AES-encrypted bundle."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
import pyzipper

from dsr_core.export import MASK
from tests.needs import unavailable

from .helpers import PASSWORD, SECRET, open_bundle, write


def test_secret_fields_are_masked_by_default_everywhere(tmp_path: Path) -> None:
    bundle = open_bundle(write(tmp_path).path)

    assert SECRET.encode() not in bundle.everything()
    (credential,) = bundle.json("data/crm/credential.json")
    assert credential["password"] == MASK
    assert credential["username"] == "admin"  # only the secret field is masked
    (row,) = bundle.csv_dicts("data/crm/credential.csv")
    assert row["password"] == MASK
    assert MASK in bundle.text("report.html")
    assert bundle.manifest["secrets"] == "masked"
    assert bundle.manifest["systems"][0]["masked_values"] == 1


def test_secrets_without_a_password_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="secrets can only be exported in an encrypted bundle"):
        write(tmp_path, include_secrets=True)

    assert list(tmp_path.iterdir()) == []


def test_an_empty_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="password"):
        write(tmp_path, password="")


def test_secrets_are_exported_only_inside_an_encrypted_bundle(tmp_path: Path) -> None:
    result = write(tmp_path, include_secrets=True, password=PASSWORD)

    assert result.encrypted
    raw = result.path.read_bytes()
    assert SECRET.encode() not in raw
    assert b"Jan Peeters" not in raw  # contents are encrypted, not only the secrets
    bundle = open_bundle(result.path, PASSWORD)
    (credential,) = bundle.json("data/crm/credential.json")
    assert credential["password"] == SECRET
    assert bundle.csv_dicts("data/crm/credential.csv")[0]["password"] == SECRET
    assert SECRET in bundle.text("report.html")
    assert MASK not in bundle.text("report.html")
    manifest = bundle.manifest
    assert manifest["secrets"] == "included" and manifest["encrypted"] is True
    for entry in manifest["files"]:
        assert entry["sha256"] == bundle.sha256(entry["path"])


def test_the_encrypted_bundle_cannot_be_read_without_the_right_password(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, include_secrets=True, password=PASSWORD).path

    with zipfile.ZipFile(path) as plain:  # the names are listed, the contents are not readable
        assert "manifest.json" in plain.namelist()
        assert all(info.flag_bits & 0x1 for info in plain.infolist())
        with pytest.raises((RuntimeError, NotImplementedError)):
            plain.read("data/crm/credential.json")
    with pyzipper.AESZipFile(path) as aes:
        with pytest.raises(RuntimeError, match="requires a password"):
            aes.read("data/crm/credential.json")
        with pytest.raises(RuntimeError, match="Bad password"):
            aes.read("data/crm/credential.json", pwd=b"wrong password")
        info = aes.getinfo("data/crm/credential.json")
        assert info.wz_aes_strength == 3  # AES-256


def test_a_bundle_can_be_encrypted_without_secrets(tmp_path: Path) -> None:
    result = write(tmp_path, password=PASSWORD)

    assert result.encrypted
    bundle = open_bundle(result.path, PASSWORD)
    assert bundle.json("data/crm/credential.json")[0]["password"] == MASK
    assert bundle.manifest["secrets"] == "masked" and bundle.manifest["encrypted"] is True
    assert SECRET.encode() not in bundle.everything()


def test_7zip_opens_the_encrypted_bundle(tmp_path: Path) -> None:
    """Interoperability of the WinZip AES format with another implementation than pyzipper."""
    seven = shutil.which("7z") or shutil.which("7zz")
    if seven is None:
        unavailable("7-Zip not installed: apt-get install p7zip-full")
    path = write(tmp_path, include_secrets=True, password=PASSWORD).path

    good = subprocess.run(
        [seven, "t", f"-p{PASSWORD}", str(path)], capture_output=True, text=True, timeout=60
    )
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Everything is Ok" in good.stdout
    bad = subprocess.run(
        [seven, "t", "-pwrong", str(path)], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode != 0
