"""Local mail: every email the functions send through SES (on moto) becomes an .eml file a person can open.

moto keeps sent messages in its SES backend (in this process, where the moto server runs); a thread
copies each new one to `<state dir>/mail/` as a standard RFC 5322 message.
"""

from __future__ import annotations

import logging
import re
import threading
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

log = logging.getLogger("lapor.local")


def _sent_messages(region: str) -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return list(ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages)


def to_eml(message: Any) -> bytes:
    """One message moto's SES accepted, as an .eml file."""
    email = EmailMessage()
    email["From"] = message.source
    email["To"] = ", ".join(message.destinations.get("ToAddresses", []))
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = f"<{message.id}@lapor.local>"
    email.set_content(message.body)
    return email.as_bytes()


class MailFolder(threading.Thread):
    """Writes each new SES message to `folder` as `<n>-<recipient>.eml`, checking every `interval` seconds."""

    def __init__(self, folder: Path, region: str, stop: threading.Event, interval: float = 0.2) -> None:
        super().__init__(name="lapor-mail", daemon=True)
        self.folder = folder
        self.region = region
        self.stop_event = stop
        self.interval = interval
        self.written = 0
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.eml"):
            old.unlink()  # a fresh stack has fresh mail

    def export(self) -> int:
        """Write the messages not written yet; returns how many there are in all."""
        messages = _sent_messages(self.region)
        for message in messages[self.written :]:
            self.written += 1
            recipient = re.sub(r"[^A-Za-z0-9@._-]", "_", message.destinations.get("ToAddresses", ["unknown"])[0])
            (self.folder / f"{self.written:04d}-{recipient}.eml").write_bytes(to_eml(message))
        return self.written

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            try:
                self.export()
            except Exception as error:  # never let the mail copy take the stack down
                log.warning("local mail export failed: %s", type(error).__name__)
