"""Platform admin (operators only) for the national calendar, and every hall's office hours,
closures and deadline policy. Every write goes through hallplatform.workdays.services (audited);
the forms check with the services' ``*_errors`` so a refusal shows on the field it names."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from hallplatform.workdays.forms import NoticeUploadForm, ScheduleFieldsMixin, add_service_errors
from hallplatform.workdays.hours import DEFAULT_SCHEDULE, format_spans, schedule_from_json
from hallplatform.workdays.models import (
    CalendarDay,
    CalendarYear,
    HallClosure,
    HallWorkPolicy,
    OfficeHoursSeason,
)
from hallplatform.workdays.notice import NoticeFormatError, decode_notice
from hallplatform.workdays.services import (
    calendar_day_errors,
    calendar_day_remove,
    calendar_day_set,
    calendar_import_year,
    closure_add,
    closure_errors,
    closure_remove,
    office_hours_errors,
    office_hours_remove,
    office_hours_set,
    work_policy_errors,
    work_policy_set,
)

MAX_NOTICE_BYTES = 100_000


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0
    fields = ["date", "kind", "name", "source"]
    readonly_fields = ["date", "kind", "name", "source"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """Years of the national calendar; a year is imported from its notice file, never typed in."""

    list_display = ["year", "status", "source", "notice_ref", "day_count", "imported_at", "imported_by"]
    list_filter = ["status", "source"]
    readonly_fields = ["year", "status", "source", "notice_ref", "imported_at", "imported_by"]
    inlines = [CalendarDayInline]
    change_list_template = "admin/workdays/calendaryear/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[CalendarYear]:
        return super().get_queryset(request).annotate(day_count=Count("days")).select_related("imported_by")

    @admin.display(description=_("days"), ordering="day_count")
    def day_count(self, obj: Any) -> int:
        return int(obj.day_count)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="workdays_calendaryear_import",
            )
        ]
        return custom + super().get_urls()

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a year from the transcription of its State Council notice (replaces the year)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = NoticeUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_NOTICE_BYTES:
                    raise NoticeFormatError(line=None, field="file", message="the file is larger than 100 kB")
                year = calendar_import_year(text=decode_notice(upload.read()), actor=request.user)
            except NoticeFormatError as exc:
                form.add_error("file", gettext("Nothing was imported: %(error)s") % {"error": exc})
            else:
                messages.success(
                    request,
                    gettext("%(year)s imported from %(notice)s: %(days)s days.")
                    % {"year": year.year, "notice": year.notice_ref, "days": year.days.count()},
                )
                return HttpResponseRedirect(reverse("admin:workdays_calendaryear_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Import a State Council holiday notice"),
            "form": form,
        }
        return TemplateResponse(request, "admin/workdays/calendaryear/import.html", context)


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day = cleaned.get("date") or self.instance.date
        if day and cleaned.get("kind"):
            add_service_errors(self, calendar_day_errors(day=day, kind=cleaned["kind"], name=cleaned.get("name", "")))
        return cleaned


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Single national days; a hand correction is recorded with source "manual"."""

    form = CalendarDayForm
    list_display = ["date", "weekday", "kind", "name", "source", "calendar_year"]
    list_filter = ["kind", "source", "calendar_year__status", "calendar_year"]
    search_fields = ["name"]
    date_hierarchy = "date"
    list_select_related = ["calendar_year"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return obj.date.strftime("%a")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["date"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        row = calendar_day_set(day=obj.date, kind=obj.kind, name=obj.name, actor=request.user)
        obj.pk, obj.calendar_year_id, obj.source = row.pk, row.calendar_year_id, row.source

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        calendar_day_remove(day=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in queryset:
            calendar_day_remove(day=day, actor=request.user)


class OfficeHoursSeasonForm(ScheduleFieldsMixin, forms.ModelForm):
    class Meta:
        model = OfficeHoursSeason
        fields = ["hall", "effective_from", "effective_to"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_schedule_fields()
        schedule = schedule_from_json(self.instance.hours) if self.instance.pk else DEFAULT_SCHEDULE
        for key, value in self.initial_from_schedule(schedule).items():
            self.initial.setdefault(key, value)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        schedule, errors = self.parse_schedule()
        if errors:
            add_service_errors(self, errors)
            return cleaned
        cleaned["schedule"] = schedule
        hall = cleaned.get("hall") or (self.instance.hall if self.instance.pk else None)
        if hall is None:
            return cleaned
        effective_from, effective_to = cleaned.get("effective_from"), cleaned.get("effective_to")
        season = OfficeHoursSeason.objects.get(pk=self.instance.pk) if self.instance.pk else None
        if (
            season is None
            and effective_from is None
            and effective_to is None
            and OfficeHoursSeason.objects.filter(hall=hall, effective_from=None, effective_to=None).exists()
        ):
            self.add_error("effective_from", gettext("This hall already has all-year office hours; change them."))
        add_service_errors(
            self,
            office_hours_errors(
                hall=hall, schedule=schedule, effective_from=effective_from, effective_to=effective_to, season=season
            ),
        )
        return cleaned

    def validate_unique(self) -> None:
        pass  # office_hours_errors names the field instead of an anonymous constraint error


@admin.register(OfficeHoursSeason)
class OfficeHoursSeasonAdmin(admin.ModelAdmin):
    form = OfficeHoursSeasonForm
    list_display = ["hall", "effective_from", "effective_to", "weekday_hours", "updated_at", "updated_by"]
    list_filter = ["hall"]
    list_select_related = ["hall", "updated_by"]

    @admin.display(description=_("Monday"))
    def weekday_hours(self, obj: OfficeHoursSeason) -> str:
        return format_spans(schedule_from_json(obj.hours).get("mon", ()))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["hall"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        season = office_hours_set(
            hall=obj.hall,
            schedule=form.cleaned_data["schedule"],
            effective_from=form.cleaned_data.get("effective_from"),
            effective_to=form.cleaned_data.get("effective_to"),
            season=OfficeHoursSeason.objects.get(pk=obj.pk) if change else None,
            actor=request.user,
        )
        obj.pk, obj.hours = season.pk, season.hours

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        office_hours_remove(season=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[OfficeHoursSeason]) -> None:
        for season in queryset:
            office_hours_remove(season=season, actor=request.user)


class HallClosureForm(forms.ModelForm):
    class Meta:
        model = HallClosure
        fields = ["hall", "date", "reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("hall") and cleaned.get("date"):
            add_service_errors(
                self, closure_errors(hall=cleaned["hall"], day=cleaned["date"], reason=cleaned.get("reason", ""))
            )
        return cleaned

    def validate_unique(self) -> None:
        pass  # closure_errors names the date instead of an anonymous "hall and date" error


@admin.register(HallClosure)
class HallClosureAdmin(admin.ModelAdmin):
    """Closures are added or removed, not edited (remove and add again)."""

    form = HallClosureForm
    list_display = ["date", "hall", "reason", "created_at", "created_by"]
    list_filter = ["hall"]
    date_hierarchy = "date"
    list_select_related = ["hall", "created_by"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        closure = closure_add(hall=obj.hall, day=obj.date, reason=obj.reason, actor=request.user)
        obj.pk = closure.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        closure_remove(closure=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[HallClosure]) -> None:
        for closure in queryset:
            closure_remove(closure=closure, actor=request.user)


class HallWorkPolicyForm(forms.ModelForm):
    class Meta:
        model = HallWorkPolicy
        fields = ["hall", "count_receipt_day", "half_day_minutes", "warning_share"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "warning_share" in cleaned:
            add_service_errors(
                self,
                work_policy_errors(
                    half_day_minutes=cleaned.get("half_day_minutes"), warning_share=cleaned["warning_share"]
                ),
            )
        return cleaned


@admin.register(HallWorkPolicy)
class HallWorkPolicyAdmin(admin.ModelAdmin):
    """A hall's deadline conventions; without a row the defaults apply."""

    form = HallWorkPolicyForm
    list_display = ["hall", "count_receipt_day", "half_day_minutes", "warning_share", "updated_at", "updated_by"]
    list_select_related = ["hall", "updated_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["hall"] if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        policy = work_policy_set(
            hall=obj.hall,
            count_receipt_day=obj.count_receipt_day,
            half_day_minutes=obj.half_day_minutes,
            warning_share=obj.warning_share,
            actor=request.user,
        )
        obj.pk = policy.pk
