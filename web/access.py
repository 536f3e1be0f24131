"""Who may open which page of the workspace: every ``web:`` URL name and method, and its rule. The
pages read this table (web.pages.Page), and tests/web/test_page_access.py walks the URL configuration
against it, so a page added without a line here fails the tests (and is refused to everyone).

A rule is one of (the vocabulary of api.access):
- PUBLIC: anyone, signed in or not (signing in);
- AUTHENTICATED: anyone signed in (their list of cases, their own account);
- STAFF: staff users only;
- an evidence.selectors.access.Action: the page's URL names a case (``<reference>``), and the user's
  role in that case must allow the action (evidence.selectors.access.ROLE_ACTIONS). A case the user is
  not a member of answers 404, a role that does not allow it 403.
"""

from evidence.selectors.access import Action

PUBLIC = "public"
AUTHENTICATED = "authenticated"
STAFF = "staff"

READ, WRITE, MANAGE_CASE, DOWNLOAD, EXPORT, REVEAL = (
    Action.READ, Action.WRITE, Action.MANAGE_CASE, Action.DOWNLOAD, Action.EXPORT, Action.REVEAL_IDENTITY,
)  # fmt: skip

# The URL keyword that names the case of a case page (its reference, e.g. UA-2022-BUCHA).
CASE_KWARG = "reference"

PAGES: dict[str, dict[str, object]] = {
    "signin": {"GET": PUBLIC, "POST": PUBLIC},
    "signout": {"POST": AUTHENTICATED},
    "signout-everywhere": {"POST": AUTHENTICATED},
    "password": {"GET": AUTHENTICATED, "POST": AUTHENTICATED},
    "case-list": {"GET": AUTHENTICATED},
    "case-home": {"GET": READ},
    "case-map": {"GET": READ},  # the case's incidents as map tiles
    "map-outline": {"GET": AUTHENTICATED},  # the country's outline, the same for every case
    "map-areas": {"GET": AUTHENTICATED},  # the admin areas' boundaries, the same for every case
    # Court packages are for those who export (legal members and leads), as the API's exports; a package with
    # identities is downloaded by leads only (user_may_download_export), with the second factor where required.
    "package-list": {"GET": EXPORT, "POST": EXPORT},
    "package": {"GET": EXPORT},
    "package-download": {"GET": EXPORT},
    # The case's audit log, its members and their roles: its leads', as the API's case-audit and case-members POST.
    "audit": {"GET": MANAGE_CASE},
    "members": {"GET": MANAGE_CASE, "POST": MANAGE_CASE},
    "member-role": {"POST": MANAGE_CASE},
    "member-remove": {"POST": MANAGE_CASE},
    # Suspects and units: any member reads them, as the API's person and unit routes.
    "people": {"GET": READ},
    "person": {"GET": READ},
    "unit": {"GET": READ},
    "account-settings": {"GET": AUTHENTICATED, "POST": AUTHENTICATED},
    # Evidence: reading it is READ, as the API's evidence-detail; its media route is the API's evidence-download
    # (DOWNLOAD, then evidence.selectors.access.download_refusal for what the role or a witness forbids).
    # Any member may mark an item graphic; taking the mark off is decided per item (user_may_mark_graphic).
    "evidence-list": {"GET": READ},
    "evidence-detail": {"GET": READ},
    "evidence-media": {"GET": DOWNLOAD},
    "evidence-graphic": {"POST": READ},
    # Witnesses and victims, by pseudonym. Revealing one is decided per person (user_may_reveal: leads, and the
    # members a lead named), as the API's witness-identity route.
    "protected-person-list": {"GET": READ},
    "protected-person-detail": {"GET": READ},
    "protected-person-reveal": {"POST": READ},
    # Incidents: recording and changing one is the API's WRITE (incident-list POST, incident-detail PATCH);
    # checking a location being drawn writes nothing but is part of that form; linking evidence is the
    # API's evidence-link (WRITE).
    "incident-create": {"GET": WRITE, "POST": WRITE},
    "incident-location-check": {"POST": WRITE},
    "incident-detail": {"GET": READ},
    "incident-edit": {"GET": WRITE, "POST": WRITE},
    "incident-evidence-link": {"POST": WRITE},
    # Uploading evidence is the API's upload (WRITE); an upload in progress is its owner's alone (the
    # selectors answer 404 to anyone else). The receipt shows what any member reads through the API.
    "upload": {"GET": WRITE},
    "uploads": {"GET": WRITE, "POST": WRITE},
    "upload-resource": {"GET": WRITE, "PATCH": WRITE, "DELETE": WRITE},
    "upload-receipt": {"GET": READ},
}

# All an account whose password a staff member issued may open until its owner chooses one; every other
# page sends it to choose one (as the API answers 403: api.access.BEFORE_PASSWORD_CHANGE).
BEFORE_PASSWORD_CHANGE: frozenset[str] = frozenset({"signin", "password", "signout", "signout-everywhere"})


def rule_for(url_name: str, method: str) -> object:
    """The rule of a page and method (HEAD as GET); a page missing from the table is refused to everyone."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    return PAGES.get(url_name, {}).get(method)
