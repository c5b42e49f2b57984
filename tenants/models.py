"""Halls (tenants), their domains, and the shared directory of departments.

A hall is one government service hall (政务服务大厅) with its own PostgreSQL schema. A city hall
(市本级) has county-level halls under it; several cities may live in one deployment.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

HALL_CODE_PATTERN = r"^[a-z0-9]+$"
REGION_CODE_PATTERN = r"^[0-9]{6}$"

hall_code_validator = RegexValidator(
    HALL_CODE_PATTERN,
    _("Use only lowercase letters a-z and digits 0-9 (it becomes the subdomain)."),
    code="invalid_code",
)
region_code_validator = RegexValidator(
    REGION_CODE_PATTERN,
    _("An administrative region code is exactly 6 digits."),
    code="invalid_region_code",
)


class HallLevel(models.TextChoices):
    CITY = "city", _("City (市本级)")
    COUNTY = "county", _("County (县区)")


class Hall(TenantMixin):
    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        validators=[hall_code_validator],
        help_text=_("Subdomain label, e.g. wengyuan."),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=HallLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("city"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="counties",
        limit_choices_to={"level": HallLevel.CITY},
    )
    region_code = models.CharField(
        _("administrative region code"),
        max_length=6,
        unique=True,
        validators=[region_code_validator],
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # printed on what the person takes home (the 一次性告知单) when set
    phone = models.CharField(_("hall phone"), max_length=30, blank=True)
    address = models.CharField(_("hall address"), max_length=200, blank=True)
    # A city's retention period (PIPL art. 19): the personal data of a case closed (or not accepted)
    # this many days ago is erased by beat (casework.retention). Read on the city's row only.
    case_retention_days = models.PositiveIntegerField(_("days personal data is kept after closing"), default=1095)
    # Working days the hall has to rectify after a dissatisfied rating by the person (好差评 整改).
    rectification_days = models.PositiveSmallIntegerField(
        _("working days to rectify after a dissatisfied rating"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )

    # Deleting a hall row must never drop its schema (and all its cases) as a side effect; a failed
    # provisioning leaves no schema because hall_create runs in one transaction.
    auto_drop_schema = False

    class Meta:
        verbose_name = _("hall")
        verbose_name_plural = _("halls")
        ordering = ["region_code"]
        constraints = [
            models.CheckConstraint(
                name="hall_county_has_city_city_has_none",
                condition=(Q(level="county", parent__isnull=False) | Q(level="city", parent__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def city_id(self) -> int:
        """The id of the city this hall belongs to (itself for a city hall)."""
        return self.parent_id if self.parent_id is not None else self.pk


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")


class Department(models.Model):
    """A unit (部门单位) that receives transfer slips.

    Stationed in a county hall (进驻单位, county-level) or in a city hall, where it serves the whole
    city (city-level bureau). A county hall transfers to its own departments and its city's.
    """

    hall = models.ForeignKey(
        Hall,
        verbose_name=_("hall"),
        on_delete=models.PROTECT,
        related_name="departments",
        help_text=_("The county hall it is stationed in, or the city hall for a city-level department."),
    )
    code = models.CharField(
        _("code"),
        max_length=40,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9-]*$",
                _("Use lowercase letters, digits and hyphens."),
                code="invalid_code",
            )
        ],
    )
    name = models.CharField(_("name"), max_length=100)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["hall__region_code", "code"]
        constraints = [
            models.UniqueConstraint(fields=["hall", "code"], name="department_code_unique_in_hall"),
            models.UniqueConstraint(fields=["hall", "name"], name="department_name_unique_in_hall"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_city_level(self) -> bool:
        return self.hall.level == HallLevel.CITY


class RoutingScope(models.TextChoices):
    """Which halls of a city may transfer to which halls' departments (异地转办), set by its supervisor."""

    CITY = "city", _("Within the city: every hall to every hall of the city")
    OWN_AND_CITY = "own_and_city", _("Own hall and the city level only")
    PAIRS = "pairs", _("Own hall, the city level and the listed pairs")


class CityRouting(models.Model):
    """A city's routing setting. Without a row the city routes within the city (the default).

    ``pairs`` (scope ``pairs``) lists ``[from_hall_id, to_hall_id]``: the departments of ``to`` are
    routable from ``from``, beside its own hall's and the city level's."""

    city = models.OneToOneField(
        Hall,
        verbose_name=_("city"),
        on_delete=models.CASCADE,
        related_name="routing",
        limit_choices_to={"level": HallLevel.CITY},
    )
    scope = models.CharField(_("routing scope"), max_length=20, choices=RoutingScope.choices, default=RoutingScope.CITY)
    pairs = models.JSONField(_("allowed pairs"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("city routing")
        verbose_name_plural = _("city routings")

    def __str__(self) -> str:
        return f"{self.city_id}: {self.scope}"
