"""Witnesses and victims in the workspace: known everywhere by pseudonym. Revealing who one is, is a
deliberate act of someone allowed (a lead, or a member a lead named for that person): a dialog says it will
be recorded, the reveal goes through evidence.services.witnesses.protected_identity_reveal (its audit entry),
and the identity is in that one answer (a POST, sent with ``Cache-Control: no-store`` like every workspace
page): reloading the person's page shows the pseudonym again."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence.models import IDENTITY_FIELDS, ProtectedKind, ProtectedPerson
from evidence.selectors.access import Action, second_factor_refusal, user_may_reveal
from evidence.selectors.items import evidence_list
from evidence.selectors.record import incident_list
from evidence.selectors.witnesses import protected_person_visible
from evidence.services.witnesses import protected_identity_reveal
from web.pages import Page, verified

PAGE_SIZE = 100
IDENTITY_LABELS = {
    "full_name": gettext_lazy("Full name"),
    "date_of_birth": gettext_lazy("Date of birth"),
    "contact": gettext_lazy("Contact"),
    "address": gettext_lazy("Address"),
    "protective_measures": gettext_lazy("Protective measures"),
    "consent": gettext_lazy("Consent"),
}


class ProtectedPersonListPage(Page):
    """The case's witnesses and victims, by pseudonym, with how much evidence and how many incidents each
    is linked to."""

    template_name = "web/witness_list.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        kind = request.GET.get("kind", "")
        if kind not in ("", *ProtectedKind.values):
            kind = ""
        people = protected_person_visible(user=request.user).filter(case=self.case)
        if kind:
            people = people.filter(kind=kind)
        people = people.annotate(
            evidence_count=Count("evidence", distinct=True), incident_count=Count("incidents", distinct=True)
        ).order_by("kind", "pseudonym")
        page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
        return self.render({"page_obj": page, "kind": kind, "kinds": ProtectedKind.choices})


class ProtectedPersonBase(Page):
    """What a person's pages share: the person named in the URL, looked up within the page's case."""

    template_name = "web/witness_detail.html"

    def person_or_404(self, person_id: int) -> ProtectedPerson:
        person = protected_person_visible(user=self.request.user).filter(case=self.case, pk=person_id).first()
        if person is None:
            raise Http404(_("No such witness or victim in this case."))
        return person

    def context(self, person: ProtectedPerson) -> dict:
        user = self.request.user
        may_reveal = user_may_reveal(user=user, person=person)
        needs_code = second_factor_refusal(user=user, with_code=verified(user), action=Action.REVEAL_IDENTITY)
        return {
            "person": person,
            "may_reveal": may_reveal and needs_code is None,
            "reveal_needs_code": may_reveal and needs_code is not None,
            "items": list(evidence_list(user=user).filter(case=self.case, protected_persons=person).order_by("ern")),
            "incidents": list(
                incident_list(user=user).filter(case=self.case, protected_persons=person).order_by("occurred_from")
            ),
        }


class ProtectedPersonPage(ProtectedPersonBase):
    """A witness or victim by pseudonym: what they are linked to, and, for those allowed, the reveal."""

    def get(self, request: HttpRequest, reference: str, protected_person: int) -> HttpResponse:
        return self.render(self.context(self.person_or_404(protected_person)))


class ProtectedPersonRevealPage(ProtectedPersonBase):
    """Reveals the identity, for this answer only. The page's rule is READ: who may reveal is decided per
    person (evidence.selectors.access.user_may_reveal), as the API's identity route does; with
    SLID_REQUIRE_TOTP, only in a session opened with the account's one-time code."""

    def post(self, request: HttpRequest, reference: str, protected_person: int) -> HttpResponse:
        person = self.person_or_404(protected_person)
        user = request.user
        if not user_may_reveal(user=user, person=person):
            raise PermissionDenied(
                _("Only the case's leads, and the members a lead named for %(pseudonym)s, may reveal who this is.")
                % {"pseudonym": person.pseudonym}
            )
        needs_code = second_factor_refusal(user=user, with_code=verified(user), action=Action.REVEAL_IDENTITY)
        if needs_code:
            raise PermissionDenied(_("Revealing an identity needs a session opened with your one-time code."))
        identity = protected_identity_reveal(actor=user, person=person)
        shown = [(IDENTITY_LABELS[name], identity.get(name)) for name in IDENTITY_FIELDS]
        response = self.render({**self.context(person), "identity": shown})
        response["Pragma"] = "no-cache"
        return response
