"""Who may call what: every API route and method, and the rule it answers to. The permission
checks read this table, and tests/api/test_authorisation_matrix.py walks the URL configuration
against it, so a route added without a line here fails the tests.

A rule is one of:
- PUBLIC: anyone, no token (health, logging in, the API's description);
- AUTHENTICATED: any signed-in user (data shared by all cases: crimes, admin areas);
- STAFF: staff users only;
- ANY_CASE_MEMBER: staff, and users who are members of at least one case (not an account in none);
- an evidence.access.Action: the user's role in the object's case must allow it
  (evidence.access.ROLE_ACTIONS). Objects of cases the user is not a member of answer 404;
- a frozenset of Actions: the role must allow one of them, and the service checks what each allows. Such a
  rule skips what a single action's rule checks besides the role (the second factor, the readers a lead names
  for one person), so it may not hold those actions (tests/api/test_authorisation_matrix.py).
"""

from evidence.selectors.access import Action

PUBLIC = "public"
AUTHENTICATED = "authenticated"
STAFF = "staff"
ANY_CASE_MEMBER = "any case member"

READ, WRITE, MANAGE_CASE, DOWNLOAD, EXPORT, REVEAL, DISCLOSE, ASSESS, REVIEW = (
    Action.READ, Action.WRITE, Action.MANAGE_CASE, Action.DOWNLOAD, Action.EXPORT, Action.REVEAL_IDENTITY,
    Action.DISCLOSE, Action.ASSESS, Action.REVIEW,
)  # fmt: skip

ACCESS: dict[str, dict[str, object]] = {
    "api-root": {"GET": AUTHENTICATED},
    "health": {"GET": PUBLIC},
    "auth-token": {"POST": PUBLIC, "DELETE": AUTHENTICATED},
    # A user's own tokens only (evidence.selectors.accounts.token_list); another's id answers 404.
    "auth-tokens": {"GET": AUTHENTICATED, "DELETE": AUTHENTICATED},
    "auth-token-detail": {"DELETE": AUTHENTICATED},
    # Anyone may protect their own account with a second factor.
    "auth-totp": {"POST": AUTHENTICATED, "DELETE": AUTHENTICATED},
    "auth-totp-confirm": {"POST": AUTHENTICATED},
    # One's own password; checking the current one counts towards the login's limits.
    "auth-password": {"POST": AUTHENTICATED},
    "schema": {"GET": PUBLIC},
    "docs": {"GET": PUBLIC},
    "redoc": {"GET": PUBLIC},
    "case-list": {"GET": READ, "POST": STAFF},
    "case-detail": {"GET": READ, "PUT": MANAGE_CASE, "PATCH": MANAGE_CASE},
    "case-members": {"GET": READ, "POST": MANAGE_CASE},
    "case-member": {"DELETE": MANAGE_CASE},
    "case-audit": {"GET": MANAGE_CASE},
    "audit-list": {"GET": STAFF},
    # Roots over every case's chains (evidence.selectors.access.user_may_see_checkpoints). Their size is the
    # number of items in all of Slid, as in any RFC 6962 tree head: not for an account that is in no case.
    "checkpoint-list": {"GET": ANY_CASE_MEMBER},
    # Accounts. Leads add members by username or e-mail on case-members, but never list accounts. Staff
    # manage accounts that are not staff, superusers any but their own (user_may_manage_account).
    "user-list": {"GET": STAFF, "POST": STAFF},
    "user-detail": {"GET": STAFF},
    "user-deactivate": {"POST": STAFF},
    "user-activate": {"POST": STAFF},
    "user-password": {"POST": STAFF},
    "incident-list": {"GET": READ, "POST": WRITE},
    "incident-detail": {"GET": READ, "PUT": WRITE, "PATCH": WRITE},
    "incident-revisions": {"GET": READ},
    # Review with a second pair of eyes (evidence.services.reviews): those who write a record submit it; legal
    # members and leads verify (never the one who made the last change) or reject it.
    "incident-submit": {"POST": WRITE},
    "incident-verify": {"POST": REVIEW},
    "incident-reject": {"POST": REVIEW},
    "person-list": {"GET": READ, "POST": WRITE},
    "person-detail": {"GET": READ, "PUT": WRITE, "PATCH": WRITE},
    "person-revisions": {"GET": READ},
    # A person's rank, position and unit from one day to another.
    "person-assignments": {"GET": READ, "POST": WRITE},
    "person-assignment": {"PATCH": WRITE},
    "person-assignment-revisions": {"GET": READ},
    "unit-list": {"GET": READ, "POST": WRITE},
    "unit-detail": {"GET": READ, "PUT": WRITE, "PATCH": WRITE},
    "unit-revisions": {"GET": READ},
    "allegation-list": {"GET": READ, "POST": WRITE},
    "allegation-detail": {"GET": READ, "PUT": WRITE, "PATCH": WRITE},
    "allegation-revisions": {"GET": READ},
    "admin-area-list": {"GET": AUTHENTICATED},
    "admin-area-detail": {"GET": AUTHENTICATED},
    "crime-list": {"GET": AUTHENTICATED},
    "crime-detail": {"GET": AUTHENTICATED},
    "national-offence-list": {"GET": AUTHENTICATED},
    "national-offence-detail": {"GET": AUTHENTICATED},
    "evidence-list": {"GET": READ, "POST": WRITE},
    # PATCH corrects what the item is said to be, never what Slid observed of it (api.evidence.views).
    # Lawyers who do not write the record still correct the court classification and the exculpatory mark
    # (evidence.selectors.access.correction_refusal).
    "evidence-detail": {"GET": READ, "PATCH": frozenset({WRITE, DISCLOSE})},
    "evidence-revisions": {"GET": READ},
    "evidence-unlink": {"POST": WRITE},
    "evidence-custody": {"GET": READ},
    "evidence-custody-proof": {"GET": READ},
    # The chain of custody in words (HTML or PDF), for whoever may read the chain.
    "evidence-custody-report": {"GET": READ},
    "evidence-download": {"GET": DOWNLOAD},
    "evidence-link": {"POST": WRITE},
    # Custody before Slid declared after intake: its uploader or a lead (access.user_may_declare_collection).
    "evidence-collection": {"POST": WRITE},
    "evidence-retry": {"POST": WRITE},
    # Typed links between items of the case: every member reads them, those who write the record make and
    # remove them (a removal keeps the link with its reason).
    "evidence-relations": {"GET": READ, "POST": WRITE},
    "evidence-relation": {"DELETE": WRITE},
    # Disclosures: every member reads them (an investigator must know what the defence has seen); the case's
    # lawyers and leads record them (Action.DISCLOSE).
    "evidence-disclosures": {"GET": READ, "POST": DISCLOSE},
    "evidence-submit": {"POST": WRITE},
    "evidence-verify": {"POST": REVIEW},
    "evidence-reject": {"POST": REVIEW},
    # The review's checklist (Berkeley Protocol): every member reads it; the reviewers tick it.
    "evidence-checklist": {"GET": READ, "POST": REVIEW},
    # What each item proves: investigators, analysts and leads propose; legal members and leads verify.
    "assessment-list": {"GET": READ, "POST": ASSESS},
    "assessment-detail": {"GET": READ, "PUT": ASSESS, "PATCH": ASSESS},
    "assessment-revisions": {"GET": READ},
    "assessment-submit": {"POST": ASSESS},
    "assessment-verify": {"POST": REVIEW},
    "assessment-reject": {"POST": REVIEW},
    # The review queue of the user's cases, and a case's analysis chart (JSON, CSV, XLSX).
    "review-list": {"GET": READ},
    "case-analysis-chart": {"GET": READ},
    "export-list": {"GET": READ, "POST": EXPORT},
    "export-detail": {"GET": READ},
    "export-download": {"GET": EXPORT},
    # Lists the shared profiles and those of the user's cases. A profile of the case in the body is
    # defined by its leads and legal members; one with no case, shared by every case, by staff only
    # (evidence.selectors.access.user_may_define_export_profile).
    "export-profile-list": {"GET": AUTHENTICATED, "POST": EXPORT},
    # One profile: whoever sees it reads it and its revisions (a case's profile: its members; another case's
    # answers 404); whoever may define it (as above) edits and retires it. A case's profile answers to these
    # actions in its case; a shared one (no case) is read by anyone and changed by staff only
    # (evidence.services.export_profiles).
    "export-profile-detail": {"GET": READ, "PATCH": EXPORT},
    "export-profile-retire": {"POST": EXPORT},
    "export-profile-revisions": {"GET": READ},
    # Identities: leads, and the members a lead names for that person (evidence.selectors.user_may_reveal).
    "witness-list": {"GET": READ, "POST": WRITE},
    "witness-detail": {"GET": READ, "PATCH": MANAGE_CASE},
    "witness-identity": {"GET": REVEAL},
    "victim-list": {"GET": READ, "POST": WRITE},
    "victim-detail": {"GET": READ, "PATCH": MANAGE_CASE},
    "victim-identity": {"GET": REVEAL},
}

# All an account whose password was issued by staff may do until its owner chooses one: change it, or
# sign out. Everything else answers 403 saying so (api.permissions.ensure_password_chosen).
BEFORE_PASSWORD_CHANGE: frozenset[tuple[str, str]] = frozenset({
    ("auth-password", "POST"),
    ("auth-token", "DELETE"),
    ("auth-tokens", "DELETE"),
    ("auth-token-detail", "DELETE"),
})  # fmt: skip


def rule_for(url_name: str, method: str) -> object:
    """The rule of a route and method; a route missing from the table is refused to everyone."""
    return ACCESS.get(url_name, {}).get(method.upper())
