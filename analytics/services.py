"""Writes of the analysis (rule art. 8): improvement suggestions to departments and their answers."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from analytics import notices
from analytics.models import ImprovementSuggestion, SuggestionStatus
from analytics.selectors import Scope, departments_in_scope
from hallplatform.accounts.models import DEPARTMENT_ROLES, RoleAssignment
from hallplatform.audit.services import audit_record
from hallplatform.personal import free_text


def _text(value: str | None) -> str:
    return (value or "").strip()


def _stored(value: str | None) -> str:
    """A text as stored: the public schema holds no personal data (DESIGN.md 4.1), so a mobile or ID
    number typed into a suggestion or an answer is masked first."""
    return free_text(_text(value), revealed=False)


@transaction.atomic
def suggestion_send(
    *,
    actor: Any,
    scope: Scope,
    department_id: int | None,
    finding: str,
    suggestion: str,
    matter_key: str = "",
) -> ImprovementSuggestion:
    """A hall lead (their hall) or a city supervisor (their city) sends an improvement suggestion
    (优化意见建议) to a department, from a finding; the department is told by a notice. The caller
    has checked that ``actor`` leads ``scope``."""
    allowed = {d.pk: d for d in departments_in_scope(scope)}
    errors: dict[str, list[str]] = {}
    if department_id is None or department_id not in allowed:
        errors["department"] = [_("Choose a department of this hall or city.")]
    if not _text(finding):
        errors["finding"] = [_("Describe the finding the suggestion comes from.")]
    if not _text(suggestion):
        errors["suggestion"] = [_("Write the suggestion.")]
    if errors:
        raise ValidationError(errors)
    assert department_id is not None
    now = timezone.now()
    city = scope.hall if scope.is_city else (scope.hall.parent or scope.hall)
    item = ImprovementSuggestion.objects.create(
        # unique until the row's id gives the real number (two sends in the same instant must not collide)
        number=f"pending-{uuid.uuid4().hex[:20]}",  # max_length 30
        hall=scope.hall,
        city=city,
        department=allowed[department_id],
        matter_key=_stored(matter_key)[:200],
        finding=_stored(finding),
        suggestion=_stored(suggestion),
        sent_by=actor,
        sent_at=now,
    )
    item.number = f"YJ-{scope.hall.region_code}-{now.year}-{item.pk:05d}"
    item.save(update_fields=["number"])
    audit_record(action="suggestion.send", actor=actor, hall=scope.hall, target=item)
    notices.suggestion_sent(suggestion=item)
    return item


@transaction.atomic
def suggestion_answer(*, actor: Any, suggestion: ImprovementSuggestion, answer: str) -> ImprovementSuggestion:
    """The department answers a suggestion; the answer is part of the statistics and the reports."""
    suggestion = ImprovementSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    is_staff = RoleAssignment.objects.filter(
        user_id=actor.pk, kind__in=DEPARTMENT_ROLES, department_id=suggestion.department_id
    ).exists()
    if not is_staff:
        raise Http404
    if suggestion.status != SuggestionStatus.SENT:
        message = _("This suggestion is already answered.")
        raise ValidationError({"status": ValidationError(message, code="invalid_transition")})
    if not _text(answer):
        raise ValidationError({"answer": [_("Write the department's answer.")]})
    suggestion.answer = _stored(answer)
    suggestion.answered_by = actor
    suggestion.answered_at = timezone.now()
    suggestion.status = SuggestionStatus.ANSWERED
    suggestion.save()
    audit_record(action="suggestion.answer", actor=actor, hall=suggestion.hall, target=suggestion)
    notices.suggestion_answered(suggestion=suggestion)
    return suggestion
