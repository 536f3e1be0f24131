"""The case's members and their roles, for its leads: adding a colleague by username or e-mail address,
changing a role, removing a member. The rules are evidence.services.cases' (the one answer for an account
that does not exist or is deactivated, a case keeps one lead, every change audited)."""

from django import forms
from django.contrib import messages
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evidence.errors import DomainError
from evidence.models import CaseMembership, Role
from evidence.selectors.access import Action, user_may
from evidence.selectors.cases import case_member_list
from evidence.services.cases import (
    MemberLookupThrottled,
    case_member_add,
    case_member_add_by,
    case_member_remove,
)
from web.pages import Page

BY_USERNAME, BY_EMAIL = "username", "email"


class MemberAddForm(forms.Form):
    by = forms.ChoiceField(
        label=gettext_lazy("Find the colleague by"),
        choices=[(BY_USERNAME, gettext_lazy("Username")), (BY_EMAIL, gettext_lazy("E-mail address"))],
        initial=BY_USERNAME,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=gettext_lazy("Username or e-mail address"),
        max_length=254,
        help_text=gettext_lazy("Exactly as the account has it; an e-mail address in any case."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices, initial=Role.INVESTIGATOR)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("by") == BY_EMAIL and data.get("name"):
            try:
                validate_email(data["name"])
            except forms.ValidationError as error:
                self.add_error("name", error)
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)


class MembersView(Page):
    """What the members' pages share: the page itself, with the forms and errors of the last request."""

    template_name = "web/member_list.html"

    def members_page(
        self, *, add_form: MemberAddForm | None = None, row_errors: dict[int, str] | None = None, status: int = 200
    ) -> HttpResponse:
        members = list(case_member_list(case=self.case))
        leads = sum(1 for membership in members if membership.role == Role.LEAD)
        return self.render(
            {
                "members": members,
                "leads": leads,
                "roles": Role.choices,
                "add_form": add_form or MemberAddForm(),
                "row_errors": row_errors or {},
            },
            status=status,
        )

    def membership(self, user_id: int) -> CaseMembership:
        membership = case_member_list(case=self.case).filter(user_id=user_id).first()
        if membership is None:
            raise Http404(_("No such member of this case."))
        return membership

    def after_change(self) -> HttpResponse:
        """Back to the members, or, for a lead who just gave up managing the case, to the case."""
        if user_may(user=self.request.user, case=self.case, action=Action.MANAGE_CASE):
            return HttpResponseRedirect(reverse("web:members", args=[self.case.reference]))
        if user_may(user=self.request.user, case=self.case, action=Action.READ):
            return HttpResponseRedirect(reverse("web:case-home", args=[self.case.reference]))
        return HttpResponseRedirect(reverse("web:case-list"))


class MembersPage(MembersView):
    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        return self.members_page()

    def post(self, request: HttpRequest, reference: str) -> HttpResponse:
        form = MemberAddForm(request.POST)
        if not form.is_valid():
            return self.members_page(add_form=form, status=400)
        data = form.cleaned_data
        named = {"username": data["name"]} if data["by"] == BY_USERNAME else {"email": data["name"]}
        try:
            membership, created = case_member_add_by(actor=request.user, case=self.case, role=data["role"], **named)
        except MemberLookupThrottled as limit:
            form.add_error(None, limit.message)
            response = self.members_page(add_form=form, status=429)
            response["Retry-After"] = str(limit.wait)
            return response
        except DomainError as error:
            form.add_error("role" if error.field == "role" else "name", error.message)
            return self.members_page(add_form=form, status=400)
        values = {"user": membership.user.get_username(), "role": membership.get_role_display()}
        if created:
            messages.success(request, _("%(user)s is now a member of the case, as %(role)s.") % values)
        else:
            messages.success(request, _("%(user)s was a member already; their role is now %(role)s.") % values)
        return self.after_change()


class MemberRolePage(MembersView):
    def post(self, request: HttpRequest, reference: str, member: int) -> HttpResponse:
        membership = self.membership(member)
        form = RoleForm(request.POST)
        if not form.is_valid():
            return self.members_page(row_errors={member: form.errors["role"][0]}, status=400)
        if form.cleaned_data["role"] == membership.role:
            return self.after_change()
        try:
            changed, _created = case_member_add(
                actor=request.user, case=self.case, user=membership.user, role=form.cleaned_data["role"]
            )
        except DomainError as error:
            return self.members_page(row_errors={member: error.message}, status=400)
        values = {"user": changed.user.get_username(), "role": changed.get_role_display()}
        messages.success(request, _("The role of %(user)s is now %(role)s.") % values)
        return self.after_change()


class MemberRemovePage(MembersView):
    def post(self, request: HttpRequest, reference: str, member: int) -> HttpResponse:
        membership = self.membership(member)
        try:
            case_member_remove(actor=request.user, case=self.case, user=membership.user)
        except DomainError as error:
            return self.members_page(row_errors={member: error.message}, status=400)
        messages.success(
            request, _("%(user)s is no longer a member of the case.") % {"user": membership.user.get_username()}
        )
        return self.after_change()
