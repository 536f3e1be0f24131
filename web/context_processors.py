"""What the workspace's layout (web/base.html) shows on every page: the user's cases for the case
switcher, fetched only if the page's template asks for them."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from evidence.selectors.cases import case_list

# The switcher lists this many; the case list has them all.
SWITCHER_CASES = 15


def workspace(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "switcher_cases": SimpleLazyObject(
            lambda: list(case_list(user=user).order_by("reference")[: SWITCHER_CASES + 1])
        )
    }
