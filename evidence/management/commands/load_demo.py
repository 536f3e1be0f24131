from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from evidence import demo


class Command(BaseCommand):
    help = "Loads the demo case with the Izium and Bucha incidents (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--lead", default="admin", help="username of the demo case's lead")

    def handle(self, *args, lead: str, **options):
        user = get_user_model().objects.filter(username=lead).first()
        if user is None:
            raise CommandError(f"No user {lead!r}: create it first (manage.py ensure_admin).")
        case, created = demo.demo_load(lead=user)
        self.stdout.write(f"Demo case {case.reference}: {'loaded' if created else 'already there'}")
