"""The mail folder (``CASEWORK_MAIL_DIR``, where the embedded default writes the emails it would have
sent, and text messages without GOV.UK Notify) keeps a message ``CASEWORK_MAIL_DIR_KEEP_DAYS`` (14),
then the daily task deletes it: the messages name people, and retention anonymises only the outbox."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from casework.core.time import now
from casework.notifications import tasks


@pytest.fixture
def mail_folder(app, tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "mail"
    monkeypatch.setitem(app.config, "MAIL_FILE_PATH", str(folder))
    state = app.extensions["mailman"]
    monkeypatch.setattr(state, "backend", "file")
    monkeypatch.setattr(state, "file_path", str(folder))
    return folder


def send(to: str) -> None:
    from flask_mailman import EmailMessage

    EmailMessage(subject="Your case", body=f"Dear {to}", to=[to]).send()


def test_messages_in_the_mail_folder_are_deleted_after_the_set_days(app, mail_folder):
    assert app.config["CASEWORK"]["MAIL_DIR_KEEP_DAYS"] == 14
    with app.app_context():
        send("zenobia@example.org")
        (mail_folder / "text-ref-1.txt").write_text("To: 07700 900123\n\nYour code is 123456\n")
        # Not the sink's: left alone.
        (mail_folder / "README.md").write_text("Notes")
        messages = sorted(p.name for p in mail_folder.iterdir() if p.name != "README.md")
        assert len(messages) == 2
        assert any(name.endswith(".log") for name in messages)

        with time_machine.travel(now() + timedelta(days=13), tick=False):
            assert tasks.clean_mail_folder.run() == 0
        assert len(list(mail_folder.iterdir())) == 3

        with time_machine.travel(now() + timedelta(days=14, minutes=1), tick=False):
            assert tasks.clean_mail_folder.run() == 2
            assert tasks.clean_mail_folder.run() == 0
        assert [p.name for p in mail_folder.iterdir()] == ["README.md"]


def test_no_mail_folder_is_nothing_to_do(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FILE_PATH", str(tmp_path / "never-written"))
    with app.app_context():
        assert tasks.clean_mail_folder.run() == 0
