"""What casework's rows can say: statuses, results, kinds and reasons (TextChoices with the Chinese
labels of the 登记表 and the rule). Part of casework's public face: other apps read these values
from the cross-hall index and show them (casework/interface.py is the rest of it)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    ON_SITE = "on_site", _("On site")
    PHONE = "phone", _("By phone")
    ONLINE = "online", _("Online")


# What the window chooses on the 登记表: an online report becomes a case only through its screening.
WINDOW_CHANNELS = [(Channel.ON_SITE.value, Channel.ON_SITE.label), (Channel.PHONE.value, Channel.PHONE.label)]


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("Individual")
    ENTERPRISE = "enterprise", _("Enterprise")


class HandlingCategory(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    CANNOT_DO = "cannot_do", _("Cannot be done")
    HARD_TO_DO = "hard_to_do", _("Hard to do")
    REFUSED = "refused", _("Refused by the department")


class FailureKind(models.TextChoices):
    """Art. 4: what failed, which makes it a matter for the window (办不成事). Optional on a case."""

    NOT_ACCEPTED = "not_accepted", _("Not accepted (未受理)")
    NOT_APPROVED = "not_approved", _("Accepted but not approved (受理后未审批)")
    REPEATED_VISITS = "repeated_visits", _("Several visits, still not done (多次跑动仍未办成)")
    OTHER = "other", _("Other (其他)")


class Complexity(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary")
    COMPLEX = "complex", _("Complex")


class CaseResult(models.TextChoices):
    DONE = "done", _("Done")
    IN_PROGRESS = "in_progress", _("In progress")
    SUPPLEMENT = "supplement", _("Materials to be supplemented")


class CaseStatus(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    REOPENED = "reopened", _("Reopened")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")
    ANSWERED = "answered", _("Answered on the spot")
    TRANSFERRED = "transferred", _("Transferred")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Awaiting materials")
    REPLIED = "replied", _("Replied by the departments")
    FED_BACK = "fed_back", _("Result told to the person")
    FOLLOWED_UP = "followed_up", _("Followed up")
    CLOSED = "closed", _("Closed")


class FeedbackMethod(models.TextChoices):
    ON_SITE = "on_site", _("In person")
    PHONE = "phone", _("By phone")
    SMS = "sms", _("By SMS")
    OTHER = "other", _("Other")


class FollowUpMethod(models.TextChoices):
    PHONE = "phone", _("By phone")
    VISIT = "visit", _("Visit")
    SMS = "sms", _("By SMS")
    ON_SITE = "on_site", _("In person at the hall")


class Satisfaction(models.TextChoices):
    """The five levels of the national 好差评 scale."""

    VERY_SATISFIED = "very_satisfied", _("Very satisfied")
    SATISFIED = "satisfied", _("Satisfied")
    FAIRLY_SATISFIED = "fairly_satisfied", _("Fairly satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    VERY_DISSATISFIED = "very_dissatisfied", _("Very dissatisfied")


UNSATISFIED = (Satisfaction.DISSATISFIED, Satisfaction.VERY_DISSATISFIED)


class SlipStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    RECEIVED = "received", _("Received")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Awaiting materials")
    REPLIED = "replied", _("Replied")
    RETURNED = "returned", _("Returned")
    REROUTED = "rerouted", _("Re-routed")
    CANCELLED = "cancelled", _("Cancelled")


# A slip the department still has to answer.
OPEN_SLIP_STATES = (SlipStatus.SENT, SlipStatus.RECEIVED, SlipStatus.AWAITING_SUPPLEMENT)


class ExclusionReason(models.TextChoices):
    """Art. 4: matters the window does not accept."""

    LITIGATION = "litigation", _("Involves litigation (涉法涉诉)")
    PETITION = "petition", _("A petition matter (信访)")
    FILED = "filed", _("Already filed as a case (已立案)")
    LAW_EXCLUDED = "law_excluded", _("Not to be handled by law or regulation")


class ReportStatus(models.TextChoices):
    """An online report (docs/online-reporting.md) before it is a case: the window screens it within one
    working day; accepted, it becomes a case with its NO; declined (spam, duplicate), it gets none."""

    PENDING = "pending", _("Pending screening")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Not taken as a report")
