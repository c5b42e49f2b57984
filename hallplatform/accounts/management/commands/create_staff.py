from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hallplatform.accounts.models import RoleKind, User
from hallplatform.accounts.services import api_token_for, staff_create
from hallplatform.errors import describe_validation_error

# Service field -> the argument an operator typed, so that an error names what to correct.
ARGUMENT_OF_FIELD = {"hall": "--hall", "department": "--department", "password": "--password", "role": "--role"}


def with_argument_names(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(field, field): messages for field, messages in exc.message_dict.items()})


class Command(BaseCommand):
    help = (
        "Create a staff login (or reuse an existing one) and give it a role. "
        "Examples: create_staff zhang --role window_staff --hall wengyuan; "
        "create_staff li --role department_handler --department wengyuan/rsj --token"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=RoleKind.values)
        parser.add_argument("--hall", help="hall code (window staff, hall lead; a city hall for supervisors)")
        parser.add_argument("--department", help="<hall code>/<department code> (department roles)")
        parser.add_argument("--name", default="", help="display name")
        parser.add_argument(
            "--password",
            help="password of a new login (default: $BANCHENG_STAFF_PASSWORD, else asked for); "
            "an existing login keeps its password",
        )
        parser.add_argument(
            "--token", action="store_true", help="make a new API token for the person and print it (shown once)"
        )
        parser.add_argument("--token-name", default="create_staff", help="name of the token made by --token")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or os.environ.get("BANCHENG_STAFF_PASSWORD") or ""
        # An existing login keeps its password (staff_create does not change it): do not ask for one.
        if not password and not User.objects.filter(username=options["username"]).exists():
            password = getpass.getpass("Password: ")
        try:
            user, assignment = staff_create(
                username=options["username"],
                password=password,
                kind=options["role"],
                display_name=options["name"],
                hall_code=options["hall"],
                department_code=options["department"],
            )
        except ValidationError as exc:
            raise CommandError(describe_validation_error(with_argument_names(exc, ARGUMENT_OF_FIELD))) from exc
        self.stdout.write(f"{user.username}: {assignment}")
        if options["token"]:
            self.stdout.write(api_token_for(user=user, name=options["token_name"]))
