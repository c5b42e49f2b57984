from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hallplatform.errors import describe_validation_error
from tenants.models import HallLevel
from tenants.services import hall_create

# Service field -> the argument an operator typed, so that an error names what to correct.
ARGUMENT_OF_FIELD = {"parent": "--city", "region_code": "--region", "level": "--level", "is_active": "--inactive"}


def with_argument_names(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(field, field): messages for field, messages in exc.message_dict.items()})


class Command(BaseCommand):
    help = (
        "Create a hall with its own schema and domain <code>.<BASE_DOMAIN>. Examples: "
        "create_hall shaoguan 韶关市政务服务中心 --level city --region 440200; "
        "create_hall wengyuan 翁源县政务服务中心 --level county --city shaoguan --region 440229"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="subdomain label, [a-z0-9]+")
        parser.add_argument("name")
        parser.add_argument("--level", required=True, choices=HallLevel.values)
        parser.add_argument("--region", required=True, help="administrative region code, 6 digits")
        parser.add_argument("--city", help="code of the city hall a county belongs to")
        parser.add_argument("--inactive", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            hall = hall_create(
                code=options["code"],
                name=options["name"],
                level=options["level"],
                region_code=options["region"],
                parent_code=options["city"],
                is_active=not options["inactive"],
            )
        except ValidationError as exc:
            raise CommandError(describe_validation_error(with_argument_names(exc, ARGUMENT_OF_FIELD))) from exc
        self.stdout.write(f"{hall.code}: {hall.name} (schema {hall.schema_name})")
