from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hallplatform.errors import describe_validation_error
from tenants.services import department_create


class Command(BaseCommand):
    help = (
        "Add a department to the directory, stationed in a county hall or (given a city hall) "
        "city-level. Example: create_department wengyuan rsj 翁源县人力资源和社会保障局 "
        "--contact 张三 --phone 0751-1234567"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("hall", help="code of the hall it is stationed in (a city hall: city-level)")
        parser.add_argument("code", help="department code, unique in its hall")
        parser.add_argument("name")
        parser.add_argument("--contact", default="")
        parser.add_argument("--phone", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            department = department_create(
                hall_code=options["hall"],
                code=options["code"],
                name=options["name"],
                contact_name=options["contact"],
                contact_phone=options["phone"],
            )
        except ValidationError as exc:
            raise CommandError(describe_validation_error(exc)) from exc
        self.stdout.write(f"{department.hall.code}/{department.code}: {department.name}")
