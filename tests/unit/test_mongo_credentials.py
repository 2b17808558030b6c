"""Where a process's MongoDB password comes from, and where it never goes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pymongo.errors import ConfigurationError
from typer.testing import CliRunner

from deploy.cli import app
from services.common.mongo import credentials, redacted
from services.common.settings import Settings


def test_a_process_reads_only_the_password_of_the_user_it_signs_in_as(tmp_path: Path) -> None:
    (tmp_path / "meetings").write_text("meetings-password\n")  # a container given one file
    settings = Settings(mongodb_secrets_dir=tmp_path)
    assert credentials(settings, "meetings") == {
        "username": "meetings",
        "password": "meetings-password",
        "authSource": "admin",
    }
    with pytest.raises(ConfigurationError, match="HDND_MONGODB_SECRETS_DIR"):
        credentials(settings, "oversight")


def test_without_a_secrets_directory_the_uri_is_used_as_it_is() -> None:
    assert credentials(Settings(mongodb_secrets_dir=None), "meetings") == {}


def test_a_password_in_the_uri_is_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = "mongodb://hdnd:hunter2@db1:27017,db2:27017/?replicaSet=rs0&authSource=admin"
    assert (
        redacted(uri) == "mongodb://hdnd:***@db1:27017,db2:27017/?replicaSet=rs0&authSource=admin"
    )
    assert redacted("mongodb://db1:27017/?replicaSet=rs0") == "mongodb://db1:27017/?replicaSet=rs0"
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka1:9094")
    monkeypatch.setenv("MONGODB_URI", uri)
    monkeypatch.delenv("HDND_MONGODB_SECRETS_DIR", raising=False)
    result = CliRunner().invoke(app, ["stack", "up"])
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and "MONGODB_URI=mongodb://hdnd:***@db1" in result.output
