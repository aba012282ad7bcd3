from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from incident_console.accounts.roles import ROLES, role_assign


class Command(BaseCommand):
    help = (
        "Create USERNAME if missing and print only its API token on stdout. "
        "Without --role a new user is an administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=sorted(ROLES), help="give the user this role")

    def handle(self, *args, username: str, role: str | None = None, **options):
        username = username.strip()
        if not username:
            raise CommandError("username must not be empty")
        administrator = role is None
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"is_staff": administrator, "is_superuser": administrator}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        if role:
            role_assign(user, role)
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
