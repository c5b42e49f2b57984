from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenants.demo import seed_demo


class Command(BaseCommand):
    help = "Create the Shaoguan demo halls, departments and logins (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        halls = seed_demo()
        self.stdout.write(f"Shaoguan demo ready: {len(halls)} halls.")
