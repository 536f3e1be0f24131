"""Suspects and units: a search that finds a name in any script ("Omurbekov" finds "Омурбеков"), a
person's page (unit, rank, allegations) and a unit's page with its chain of command as a tree."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from evidence.models import Person, Unit
from evidence.selectors.record import (
    allegation_list,
    person_list,
    person_search,
    unit_chain_up,
    unit_list,
    unit_search,
    unit_subordinate_tree,
)
from web.pages import Page

SHOWN = 100
SEARCH_MAX_LENGTH = 100


class PeoplePage(Page):
    """Suspects and units of the case; typing narrows both lists (htmx replaces the results only)."""

    template_name = "web/person_list.html"
    partial_template_name = "web/person_results.html"

    def get(self, request: HttpRequest, reference: str) -> HttpResponse:
        # PostgreSQL refuses NUL in text, and nobody means to search for one.
        query = request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
        persons = person_list(user=request.user).filter(case=self.case)
        units = unit_list(user=request.user).filter(case=self.case)
        if query:
            persons, units = person_search(persons, text=query), unit_search(units, text=query)
        else:
            persons, units = persons.order_by("full_name", "pk"), units.order_by("name", "pk")
        persons, units = list(persons[: SHOWN + 1]), list(units[: SHOWN + 1])
        return self.render(
            {
                "q": query,
                "persons": persons[:SHOWN],
                "units": units[:SHOWN],
                "more": len(persons) > SHOWN or len(units) > SHOWN,
            }
        )


class PersonPage(Page):
    template_name = "web/person_detail.html"

    def get(self, request: HttpRequest, reference: str, person: int) -> HttpResponse:
        found: Person | None = person_list(user=request.user).filter(case=self.case, pk=person).first()
        if found is None:
            raise Http404(_("No such person in this case."))
        allegations = (
            allegation_list(user=request.user)
            .filter(case=self.case, person=found)
            .order_by("-incident__occurred_from", "pk")
        )
        chain = unit_chain_up(unit=found.unit) if found.unit else []
        return self.render({"person": found, "allegations": allegations, "chain": chain})


def _command_tree(nodes: list[dict], *, path: set[int], current: int, inside: bool = False) -> list[dict]:
    """The tree with what a reader first sees: open along the way from the top to ``current`` and below
    it, closed elsewhere (``collapsed``, which the page's script applies; without script all is open)."""
    for node in nodes:
        below = inside or node["id"] == current
        node["collapsed"] = bool(node["subordinates"]) and not below and node["id"] not in path
        _command_tree(node["subordinates"], path=path, current=current, inside=below)
    return nodes


class UnitPage(Page):
    """A unit: its particulars, its chain of command from the top as a tree (this unit marked), the people
    serving in it and the allegations against it."""

    template_name = "web/unit_detail.html"

    def get(self, request: HttpRequest, reference: str, unit: int) -> HttpResponse:
        found: Unit | None = unit_list(user=request.user).filter(case=self.case, pk=unit).first()
        if found is None:
            raise Http404(_("No such unit in this case."))
        chain = unit_chain_up(unit=found)
        top = chain[-1] if chain else found
        tree = [
            {
                "id": top.pk,
                "name": top.name,
                "designation": top.designation,
                "subordinates": unit_subordinate_tree(unit=top),
            }
        ]
        context: dict[str, Any] = {
            "unit": found,
            "chain": chain,
            "tree": _command_tree(tree, path={u.pk for u in chain}, current=found.pk),
            "persons": person_list(user=request.user).filter(case=self.case, unit=found).order_by("full_name"),
            "allegations": allegation_list(user=request.user)
            .filter(case=self.case, unit=found)
            .order_by("-incident__occurred_from", "pk"),
        }
        return self.render(context)
