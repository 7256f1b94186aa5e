"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

Recipients containing "tempfail" get a 451 answer, "permfail" a 550, so tests can see how the outbox
treats a mail server's temporary and permanent refusals; so do addresses at the demo's pretend bouncing
domain (core.mailbox.BOUNCE_DOMAIN), as any real server would refuse a ".invalid" one.
"""

import email
import email.policy
import logging
import socket
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO: too much for test output.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Sink:
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    tempfail_left: dict[str, int] = field(default_factory=dict)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if "permfail" in address or address.lower().endswith("@bounce.invalid"):
            return "550 5.1.1 No such mailbox here"
        if "tempfail" in address:
            with self.lock:
                left = self.tempfail_left.get(address, 10**9)
                if left > 0:
                    self.tempfail_left[address] = left - 1
                    return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in m["To"]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sink(port: int = 0) -> tuple[Controller, Sink]:
    """Start a sink on loopback (aiosmtpd needs a known port to check it is up)."""
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller, sink
