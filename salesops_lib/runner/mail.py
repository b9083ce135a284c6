"""Send one e-mail over SMTP (smtplib): plain text + HTML alternative, an optional attachment.

The password is never an argument or a setting: it is read from the environment variable
named by :attr:`MailSettings.password_env` at send time. Every SMTP or network failure is a
:class:`DeliveryError` with the server's code and answer and what to change — never a traceback.
"""

from __future__ import annotations

import mimetypes
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

from salesops_lib.errors import ConfigError, SalesOpsError

Security = Literal["starttls", "ssl", "none"]
DEFAULT_PASSWORD_ENV = "SALESOPS_SMTP_PASSWORD"  # noqa: S105 - the variable's name, not a password


class DeliveryError(SalesOpsError):
    """The webhook or mail server did not accept the message (after retries, where they apply)."""

    exit_code = 1


@dataclass(frozen=True)
class MailSettings:
    """Where and how the review e-mail goes."""

    #: SMTP server host name
    host: str
    #: sender address (From)
    sender: str
    #: recipient addresses (To)
    to: tuple[str, ...]
    #: 587 for STARTTLS submission, 465 for implicit TLS (``ssl``), 25 for a relay
    port: int = 587
    #: STARTTLS after connecting (default), implicit TLS, or none (a trusted local relay only)
    security: Security = "starttls"
    #: login user; no login when empty
    user: str = ""
    #: the environment variable that holds the login password
    password_env: str = DEFAULT_PASSWORD_ENV
    #: seconds to wait for the server
    timeout: float = 30.0

    @property
    def where(self) -> str:
        """The server as it may be shown."""
        return f"smtp://{self.host}:{self.port}"


def checked(settings: MailSettings) -> MailSettings:
    """``settings`` when they can send mail; a ConfigError naming the option to fix otherwise."""
    if not settings.host.strip():
        raise ConfigError("--email needs an SMTP server", fix="pass --smtp-host mail.example.com")
    if not 0 < settings.port < 65536:
        raise ConfigError(f"--smtp-port {settings.port} is not a port", fix="use 587 (STARTTLS), 465 (ssl) or 25")
    if settings.security not in ("starttls", "ssl", "none"):
        raise ConfigError(f"unknown --smtp-security {settings.security!r}", fix="use starttls, ssl or none")
    for option, address in [("--mail-from", settings.sender), *(("--mail-to", a) for a in settings.to)]:
        if "@" not in address or any(c in address for c in "\r\n,;<> "):
            raise ConfigError(
                f"{option} {address[:80]!r} is not one e-mail address", fix=f"write e.g. {option} name@example.com"
            )
    if not settings.to:
        raise ConfigError("--email needs at least one recipient", fix="pass --mail-to vp@example.com")
    if settings.user and not os.environ.get(settings.password_env):
        raise ConfigError(
            f"the SMTP password for {settings.user!r} is not set: the environment variable "
            f"{settings.password_env} is empty",
            fix=f"export {settings.password_env}=… (a password is never passed on the command line "
            "or kept in a config file); or pass --smtp-password-env NAME",
        )
    return settings


def build_message(
    settings: MailSettings, subject: str, text: str, html: str, attachment: Path | None = None
) -> EmailMessage:
    """The e-mail: UTF-8 headers and body (RFC 2047/2231 for Chinese), HTML alternative, attachment."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if attachment is not None:
        try:
            data = attachment.read_bytes()
        except OSError as exc:
            raise ConfigError(
                f"the attachment cannot be read ({type(exc).__name__})",
                where=str(attachment),
                fix="pass --attach the path of an existing file (e.g. the review's PDF)",
            ) from None
        kind, _ = mimetypes.guess_type(attachment.name)
        main, _, sub = (kind or "application/octet-stream").partition("/")
        message.add_attachment(data, maintype=main, subtype=sub, filename=attachment.name)
    return message


def send_mail(settings: MailSettings, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server; a DeliveryError (code, answer, fix) when it is refused."""
    password = os.environ.get(settings.password_env, "")
    context = ssl.create_default_context()
    try:
        if settings.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.user:
                smtp.login(settings.user, password)
            refused = smtp.send_message(message)
    except smtplib.SMTPNotSupportedError:
        raise DeliveryError(
            "the SMTP server does not offer STARTTLS (or login), so the mail was not sent",
            where=settings.where,
            fix="use the server's submission port (587) or --smtp-security ssl --smtp-port 465; "
            "--smtp-security none only for a relay on a trusted network",
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"the SMTP server refused the login ({_answer(exc.smtp_code, exc.smtp_error)})",
            where=settings.where,
            fix=f"check --smtp-user and the password in ${settings.password_env} "
            "(many providers want an app password or authorisation code)",
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(
            "the SMTP server refused every recipient: "
            + "; ".join(f"{who} ({_answer(*answer)})" for who, answer in exc.recipients.items()),
            where=settings.where,
            fix="check --mail-to, and that the server relays for --mail-from",
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise DeliveryError(
            f"the SMTP server refused the sender {exc.sender!r} ({_answer(exc.smtp_code, exc.smtp_error)})",
            where=settings.where,
            fix="pass --mail-from an address the logged-in user may send as",
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(
            f"the SMTP server refused the mail ({_answer(exc.smtp_code, exc.smtp_error)})",
            where=settings.where,
            fix="check the server's answer above; nothing was marked delivered, so the next run sends again",
        ) from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise DeliveryError(
            f"could not talk to the SMTP server ({type(exc).__name__}: {str(exc)[:160]})",
            where=settings.where,
            fix="check --smtp-host, --smtp-port and --smtp-security, and that this machine may reach the server",
        ) from None
    if refused:
        raise DeliveryError(
            "the SMTP server refused some recipients: "
            + "; ".join(f"{who} ({_answer(*answer)})" for who, answer in refused.items()),
            where=settings.where,
            fix="check those --mail-to addresses; the others received the mail",
        )


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(words.split())[:200]}"
