"""Takes the second factor off an account whose owner lost it, in the name of an operator."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from evidence.errors import NotAllowed
from evidence.services.accounts import totp_reset


class Command(BaseCommand):
    help = (
        "Removes the TOTP second factor of USERNAME (its owner lost the authenticator app) and signs the account "
        "out everywhere (its API tokens and sessions), in the name of --actor: an active staff member, who "
        "resets accounts that are not staff (a superuser, any). The reset is in the audit log (auth.totp_off, "
        'with "via": "manage.py reset_totp"). The owner then signs in with their password and turns a second '
        "factor on again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the account whose second factor is reset")
        parser.add_argument("--actor", help="the username of the staff member who resets it (required)")
        parser.add_argument("--reason", default="", help="why, for the audit log (e.g. a ticket number)")

    def handle(self, *args, username: str, actor: str | None = None, reason: str = "", **options):
        if not actor:
            raise CommandError("Name the staff member who resets the second factor: --actor USERNAME.")
        accounts = get_user_model().objects
        operator = accounts.filter(username=actor, is_active=True).first()
        if operator is None:
            raise CommandError(f"No active user {actor!r}.")
        account = accounts.filter(username=username).first()
        if account is None:
            raise CommandError(f"No user {username!r}.")
        try:
            removed, revoked, ended = totp_reset(actor=operator, user=account, reason=reason[:500])
        except NotAllowed as refused:
            raise CommandError(f"{refused} Nothing was changed.") from None
        if not removed:
            self.stdout.write(f"{username} had no second factor; signed out everywhere all the same.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Second factor of {username} reset by {actor}: {revoked} tokens revoked, {ended} sessions ended."
            )
        )
