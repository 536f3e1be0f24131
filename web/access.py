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
}

# All an account whose password a staff member issued may open until its owner chooses one; every other
# page sends it to choose one (as the API answers 403: api.access.BEFORE_PASSWORD_CHANGE).
BEFORE_PASSWORD_CHANGE: frozenset[str] = frozenset({"signin", "password", "signout", "signout-everywhere"})


def rule_for(url_name: str, method: str) -> object:
    """The rule of a page and method (HEAD as GET); a page missing from the table is refused to everyone."""
    method = "GET" if method.upper() == "HEAD" else method.upper()
    return PAGES.get(url_name, {}).get(method)
