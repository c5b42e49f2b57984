"""Notices (public schema): the outbox of messages to staff and people, their texts, and the record
kept by the development provider.

Nothing here identifies a citizen. A notice to a person who reported a case names them only by an
opaque reference within a hall (``recipient_ref``, e.g. "case:123"); the phone number is looked up in
the hall's schema when the notice is sent, and never written here. Texts are rendered from context
the caller has already masked.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.template import TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from notifications.kinds import notice_kind_choices, notice_kind_label
from notifications.texts import text_compile


class NoticeChannel(models.TextChoices):
    INBOX = "inbox", _("In-app inbox")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")


# The channels that reach a staff member outside the app, in the order they are offered.
STAFF_EXTERNAL_CHANNELS = (NoticeChannel.SMS, NoticeChannel.EMAIL, NoticeChannel.WECOM, NoticeChannel.DINGTALK)


class NoticeState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notice(models.Model):
    """One message to one recipient on one channel, caused by one event: at most one, ever.

    Written by ``notice_enqueue`` in the transaction of the event; sent by ``notice_deliver_task``.
    """

    kind = models.CharField(_("kind"), max_length=60)
    hall = models.ForeignKey(
        "tenants.Hall", verbose_name=_("hall"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event_key = models.CharField(
        _("event"), max_length=200, help_text=_("What caused the notice, e.g. deadline:42:breach.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=NoticeChannel.choices)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notices",
    )
    recipient_ref = models.CharField(
        _("recipient reference"),
        max_length=100,
        blank=True,
        help_text=_("A person known only in the hall's schema, e.g. case:123; resolved when sending."),
    )
    # One column naming the recipient of either kind, so that one unique constraint covers both.
    recipient_key = models.GeneratedField(
        expression=Case(
            When(
                recipient_user__isnull=False,
                then=Concat(
                    Value("user:"), Cast(F("recipient_user"), models.TextField()), output_field=models.TextField()
                ),
            ),
            default=Concat(
                Value("ref:"),
                Cast(F("hall"), models.TextField()),
                Value(":"),
                F("recipient_ref"),
                output_field=models.TextField(),
            ),
            output_field=models.TextField(),
        ),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("recipient key"),
    )
    context = models.JSONField(_("context"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=10, choices=NoticeState.choices, default=NoticeState.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_code = models.CharField(
        _("provider's error code"), max_length=60, blank=True, help_text=_("The provider's own code, e.g. 40001.")
    )
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    provider_message_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # The page of the notice's subject: a path on the host of link_hall (none: the base domain);
    # notifications.links makes it absolute.
    link_path = models.CharField(_("link"), max_length=300, blank=True)
    link_hall = models.ForeignKey(
        "tenants.Hall",
        verbose_name=_("hall of the link"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The hall whose host serves the link; empty: the city portal's host."),
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            # An event is named by its key within its hall (hall-less events: within the platform).
            models.UniqueConstraint(
                fields=["hall", "event_key", "channel", "recipient_key"],
                name="notice_once_per_event_recipient_channel",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                name="notice_one_recipient",
                # A staff user on any channel, or a person of a hall (reference) by SMS.
                condition=(
                    Q(recipient_user__isnull=False, recipient_ref="")
                    | (Q(recipient_user__isnull=True, hall__isnull=False, channel="sms") & ~Q(recipient_ref=""))
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient_user", "-created_at"],
                name="notice_inbox",
                condition=Q(channel="inbox", state="sent"),
            ),
            models.Index(fields=["state", "next_attempt_at"], name="notice_pending", condition=Q(state="queued")),
            models.Index(fields=["state", "claimed_at"], name="notice_sending", condition=Q(state="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_key} ({self.channel}, {self.state})"

    @property
    def kind_label(self) -> str:
        return notice_kind_label(self.kind)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def _validate_text(source: str) -> None:
    try:
        text_compile(source)
    except TemplateSyntaxError as exc:
        raise ValidationError(_("This text cannot be used: %(error)s") % {"error": exc}) from exc


class NoticeTemplate(models.Model):
    """Texts of one kind of notice on one channel: for every hall (no hall) or for one hall.

    A hall's own template wins over the one for every hall, which wins over the default in code.
    """

    kind = models.CharField(_("kind"), max_length=60, choices=notice_kind_choices)
    channel = models.CharField(_("channel"), max_length=10, choices=NoticeChannel.choices)
    hall = models.ForeignKey(
        "tenants.Hall",
        verbose_name=_("hall"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Leave empty for the text every hall uses unless it has its own."),
    )
    subject = models.CharField(
        _("subject"), max_length=200, blank=True, validators=[_validate_text], help_text=_("Not used for SMS.")
    )
    body = models.TextField(
        _("text"),
        validators=[_validate_text],
        help_text=_("Django template syntax, e.g. {{ due_at }}. The variables are listed in docs/notifications.md."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ["kind", "channel", "hall_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "channel", "hall"], name="notice_template_once_per_hall", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        scope = self.hall or _("all halls")
        return f"{self.kind} · {self.channel} · {scope}"


class ConsoleMessage(models.Model):
    """What the console provider "sent" (development and tests): the text, the masked address."""

    channel = models.CharField(_("channel"), max_length=10, choices=NoticeChannel.choices)
    to = models.CharField(_("to"), max_length=254)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"))
    template_id = models.CharField(_("provider template"), max_length=40, blank=True)
    params = models.JSONField(_("template parameters"), default=list, blank=True)
    reference = models.CharField(_("reference"), max_length=100, blank=True, db_index=True)
    message_id = models.CharField(_("message id"), max_length=100, unique=True)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("console message")
        verbose_name_plural = _("console messages")
        ordering = ["-sent_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.to}: {self.body[:40]}"


# Limits of the providers' user ids: WeCom's UserID (1-64 characters: letters, digits, "_-.@"),
# DingTalk's userid (up to 64 characters).
CHANNEL_USER_ID_MAX_LENGTH = 64


class StaffContact(models.Model):
    """How a staff member wants to be reached outside the app: the channels they chose, their
    WeCom and DingTalk user ids, and whether ordinary notices come as one daily digest.

    The work mobile and the e-mail address are the person's (``User.work_phone``, ``User.email``):
    the profile page edits them together with this row. No row: in-app only.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("person"), on_delete=models.CASCADE, related_name="staff_contact"
    )
    channels = ArrayField(
        models.CharField(max_length=10, choices=NoticeChannel.choices),
        verbose_name=_("channels"),
        default=list,
        blank=True,
        help_text=_("Channels besides the in-app list."),
    )
    wecom_user_id = models.CharField(_("WeCom user id"), max_length=CHANNEL_USER_ID_MAX_LENGTH, blank=True)
    dingtalk_user_id = models.CharField(_("DingTalk user id"), max_length=CHANNEL_USER_ID_MAX_LENGTH, blank=True)
    digest = models.BooleanField(
        _("daily digest"), default=False, help_text=_("Ordinary notices also come as one message a day.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("staff contact")
        verbose_name_plural = _("staff contacts")

    def __str__(self) -> str:
        return f"{self.user} · {', '.join(self.channels) or '-'}"


class HallChannelPolicy(models.Model):
    """The channels a hall lets its notices to staff use besides the in-app list (hall lead sets
    it). No row: every configured channel."""

    hall = models.OneToOneField(
        "tenants.Hall", verbose_name=_("hall"), on_delete=models.CASCADE, related_name="channel_policy"
    )
    channels = ArrayField(
        models.CharField(max_length=10, choices=NoticeChannel.choices),
        verbose_name=_("allowed channels"),
        default=list,
        blank=True,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("hall channel policy")
        verbose_name_plural = _("hall channel policies")

    def __str__(self) -> str:
        return f"{self.hall} · {', '.join(self.channels) or '-'}"
