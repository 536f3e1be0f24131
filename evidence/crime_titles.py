# ruff: noqa: E501 - the titles as the Elements of Crimes write them, one per line
"""The titles of the crimes in data/crimes.json, marked for translation: makemessages reads Python, not
JSON, so the titles are listed here for it. The API shows a crime's title in the language asked for
(api.fields.TranslatedCharField). tests/evidence/test_crime_titles.py keeps this list and the data equal."""

from django.utils.translation import gettext_noop

CRIME_TITLES = (
    gettext_noop("Genocide by killing"),
    gettext_noop("Genocide by causing serious bodily or mental harm"),
    gettext_noop(
        "Genocide by deliberately inflicting conditions of life calculated to bring about physical destruction"
    ),
    gettext_noop("Genocide by imposing measures intended to prevent births"),
    gettext_noop("Genocide by forcibly transferring children"),
    gettext_noop("Crime against humanity of murder"),
    gettext_noop("Crime against humanity of extermination"),
    gettext_noop("Crime against humanity of enslavement"),
    gettext_noop("Crime against humanity of deportation or forcible transfer of population"),
    gettext_noop("Crime against humanity of imprisonment or other severe deprivation of physical liberty"),
    gettext_noop("Crime against humanity of torture"),
    gettext_noop("Crime against humanity of rape"),
    gettext_noop("Crime against humanity of sexual slavery"),
    gettext_noop("Crime against humanity of enforced prostitution"),
    gettext_noop("Crime against humanity of forced pregnancy"),
    gettext_noop("Crime against humanity of enforced sterilization"),
    gettext_noop("Crime against humanity of sexual violence"),
    gettext_noop("Crime against humanity of persecution"),
    gettext_noop("Crime against humanity of enforced disappearance of persons"),
    gettext_noop("Crime against humanity of apartheid"),
    gettext_noop("Crime against humanity of other inhumane acts"),
    gettext_noop("War crime of wilful killing"),
    gettext_noop("War crime of torture"),
    gettext_noop("War crime of inhuman treatment"),
    gettext_noop("War crime of biological experiments"),
    gettext_noop("War crime of wilfully causing great suffering"),
    gettext_noop("War crime of destruction and appropriation of property"),
    gettext_noop("War crime of compelling service in hostile forces"),
    gettext_noop("War crime of denying a fair trial"),
    gettext_noop("War crime of unlawful deportation and transfer"),
    gettext_noop("War crime of unlawful confinement"),
    gettext_noop("War crime of taking hostages"),
    gettext_noop("War crime of attacking civilians"),
    gettext_noop("War crime of attacking civilian objects"),
    gettext_noop(
        "War crime of attacking personnel or objects involved in a humanitarian assistance or peacekeeping mission"
    ),
    gettext_noop("War crime of excessive incidental death, injury, or damage"),
    gettext_noop("War crime of attacking undefended places"),
    gettext_noop("War crime of killing or wounding a person hors de combat"),
    gettext_noop("War crime of improper use of a flag of truce"),
    gettext_noop("War crime of improper use of a flag, insignia or uniform of the hostile party"),
    gettext_noop("War crime of improper use of a flag, insignia or uniform of the United Nations"),
    gettext_noop("War crime of improper use of the distinctive emblems of the Geneva Conventions"),
    gettext_noop(
        "War crime of the transfer, directly or indirectly, by an Occupying Power of parts of its own civilian population into the territory it occupies, or the deportation or transfer of all or parts of the population of the occupied territory within or outside this territory"
    ),
    gettext_noop("War crime of attacking protected objects"),
    gettext_noop("War crime of mutilation"),
    gettext_noop("War crime of medical or scientific experiments"),
    gettext_noop("War crime of treacherously killing or wounding"),
    gettext_noop("War crime of denying quarter"),
    gettext_noop("War crime of destroying or seizing the enemy's property"),
    gettext_noop("War crime of depriving the nationals of the hostile power of rights or actions"),
    gettext_noop("War crime of compelling participation in military operations"),
    gettext_noop("War crime of pillaging"),
    gettext_noop("War crime of employing poison or poisoned weapons"),
    gettext_noop("War crime of employing prohibited gases, liquids, materials or devices"),
    gettext_noop("War crime of employing prohibited bullets"),
    gettext_noop(
        "War crime of employing weapons, projectiles or materials or methods of warfare listed in the Annex to the Statute"
    ),
    gettext_noop("War crime of outrages upon personal dignity"),
    gettext_noop("War crime of rape"),
    gettext_noop("War crime of sexual slavery"),
    gettext_noop("War crime of enforced prostitution"),
    gettext_noop("War crime of forced pregnancy"),
    gettext_noop("War crime of enforced sterilization"),
    gettext_noop("War crime of sexual violence"),
    gettext_noop("War crime of using protected persons as shields"),
    gettext_noop("War crime of attacking objects or persons using the distinctive emblems of the Geneva Conventions"),
    gettext_noop("War crime of starvation as a method of warfare"),
    gettext_noop("War crime of using, conscripting or enlisting children"),
    gettext_noop("War crime of employing weapons, which use microbial or other biological agents, or toxins"),
    gettext_noop(
        "War crime of employing weapons the primary effect of which is to injure by fragments undetectable by X-rays"
    ),
    gettext_noop("War crime of employing laser blinding weapons"),
    gettext_noop("War crime of murder"),
    gettext_noop("War crime of cruel treatment"),
    gettext_noop("War crime of sentencing or execution without due process"),
    gettext_noop("War crime of using, conscripting and enlisting children"),
    gettext_noop("War crime of displacing civilians"),
)
