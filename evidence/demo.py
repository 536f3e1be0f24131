"""Demo data for `make run`: one case with incidents in Bucha, Irpin, Izium, Kharkiv, Mariupol, Kramatorsk and
Hroza, a unit and a suspect.

The places and names are public knowledge; the records are demonstrations, not evidence."""

import io
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import Point, Polygon
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw

from evidence import elements
from evidence.models import AllegationRole, Bearing, Case, DatePrecision, Role
from evidence.services.assessments import assessment_create
from evidence.services.cases import case_create, case_member_add
from evidence.services.intake import evidence_receive
from evidence.services.record import allegation_create, incident_create, person_create, unit_create
from evidence.services.reviews import review_submit, review_verify

DEMO_REFERENCE = "DEMO-UA-2022"


# More incidents, so that the case home's map, timeline and counts have something to show: public events of
# 2022 and 2023 (places and dates as reported), recorded here as demonstrations.
MORE_INCIDENTS = [
    {
        "title": "Missile strike on the Kharkiv regional administration, Freedom Square",
        "occurred_from": datetime(2022, 3, 1, 6, 1, tzinfo=UTC),
        "date_precision": DatePrecision.EXACT,
        "location": Point(36.2285, 49.9931, srid=4326),
        "place_name": "Kharkiv, Freedom Square",
        "crimes": ["8(2)(b)(i)", "8(2)(b)(ii)"],
        "killed": 29,
    },
    {
        "title": "Shelling of the residential district of Saltivka",
        "occurred_from": datetime(2022, 3, 7, tzinfo=UTC),
        "occurred_to": datetime(2022, 3, 31, tzinfo=UTC),
        "location": Point(36.3290, 50.0140, srid=4326),
        "location_uncertainty_m": 2000,
        "place_name": "Kharkiv, Saltivka",
        "crimes": ["8(2)(b)(i)", "8(2)(b)(ii)", "8(2)(b)(iv)"],
    },
    {
        "title": "Shelling of civilians at the Irpin river crossing",
        "occurred_from": datetime(2022, 3, 6, 8, 0, tzinfo=UTC),
        "location": Point(30.2545, 50.5186, srid=4326),
        "place_name": "Irpin, the destroyed bridge on Soborna Street",
        "crimes": ["8(2)(b)(i)"],
        "killed": 8,
    },
    {
        "title": "Killings of civilians on Yablunska Street",
        "occurred_from": datetime(2022, 3, 4, tzinfo=UTC),
        "occurred_to": datetime(2022, 3, 30, tzinfo=UTC),
        "location": Point(30.2156, 50.5418, srid=4326),
        "location_uncertainty_m": 300,
        "place_name": "Bucha, Yablunska Street",
        "crimes": ["8(2)(a)(i)", "7(1)(a)"],
        "status": "under_review",
    },
    {
        "title": "Torture in the basement of the children's camp “Promenystyi”",
        "occurred_from": datetime(2022, 3, 10, tzinfo=UTC),
        "occurred_to": datetime(2022, 3, 25, tzinfo=UTC),
        "location": Point(30.2395, 50.5525, srid=4326),
        "place_name": "Bucha, Vokzalna Street",
        "crimes": ["8(2)(a)(ii)-1", "8(2)(a)(i)"],
    },
    {
        "title": "Airstrike on the maternity hospital No. 3 in Mariupol",
        "occurred_from": datetime(2022, 3, 9, 13, 0, tzinfo=UTC),
        "date_precision": DatePrecision.EXACT,
        "location": Point(37.5834, 47.0968, srid=4326),
        "place_name": "Mariupol, Myru Avenue",
        "crimes": ["8(2)(b)(ix)", "8(2)(b)(i)"],
        "status": "under_review",
        "verified_by_reviewer": True,
    },
    {
        "title": "Airstrike on the Mariupol Drama Theatre",
        "occurred_from": datetime(2022, 3, 16, 8, 0, tzinfo=UTC),
        "location": Point(37.5495, 47.0959, srid=4326),
        "place_name": "Mariupol, Theatre Square",
        "crimes": ["8(2)(b)(i)", "8(2)(b)(ix)"],
        "status": "under_review",
        "verified_by_reviewer": True,
    },
    {
        "title": "Airstrike on a residential building in Izium",
        "occurred_from": datetime(2022, 3, 9, tzinfo=UTC),
        "location": Point(37.2580, 49.2060, srid=4326),
        "place_name": "Izium, Pershotravneva Street",
        "crimes": ["8(2)(b)(i)", "8(2)(b)(ii)"],
    },
    {
        "title": "Missile strike on the Kramatorsk railway station",
        "occurred_from": datetime(2022, 4, 8, 7, 30, tzinfo=UTC),
        "date_precision": DatePrecision.EXACT,
        "location": Point(37.5603, 48.7306, srid=4326),
        "place_name": "Kramatorsk, railway station",
        "crimes": ["8(2)(b)(i)", "8(2)(b)(iv)"],
        "killed": 61,
        "status": "under_review",
    },
    {
        "title": "Missile strike on a café during a wake in Hroza",
        "occurred_from": datetime(2023, 10, 5, 10, 15, tzinfo=UTC),
        "date_precision": DatePrecision.EXACT,
        "location": Point(37.8380, 49.4820, srid=4326),
        "place_name": "Hroza, Kupiansk raion, Kharkiv oblast",
        "crimes": ["8(2)(b)(i)"],
        "killed": 59,
    },
]


def _demo_incidents_add(*, case: Case, lead: AbstractBaseUser) -> int:
    """Records each of MORE_INCIDENTS the case does not have yet (by title); how many were recorded."""
    have = set(case.incidents.values_list("title", flat=True))
    added = 0
    for fields in MORE_INCIDENTS:
        if fields["title"] not in have:
            fields = dict(fields)
            verified = fields.pop("verified_by_reviewer", False)
            incident = incident_create(actor=lead, case=case, description="Demonstration record.", **fields)
            if verified:  # verified by someone else than its author (four-eyes rule)
                review_verify(actor=_demo_reviewer(case=case, lead=lead), obj=incident)
            added += 1
    return added


DEMO_REVIEWER = "demo-legal"


def _demo_reviewer(*, case: Case, lead: AbstractBaseUser) -> AbstractBaseUser:
    """A legal member of the demo case who verifies what the lead recorded (nobody verifies their own work). The
    account has no password: a staff member issues one (POST /api/v1/users/{id}/password/) to sign in as it."""
    reviewer = get_user_model().objects.filter(username=DEMO_REVIEWER).first()
    if reviewer is None:
        reviewer = get_user_model().objects.create_user(username=DEMO_REVIEWER)  # no password: cannot sign in
    if not case.memberships.filter(user=reviewer).exists():
        case_member_add(actor=lead, case=case, user=reviewer, role=Role.LEGAL)
    return reviewer


@transaction.atomic
def demo_load(*, lead: AbstractBaseUser) -> tuple[Case, bool]:
    existing = Case.objects.filter(reference=DEMO_REFERENCE).first()
    if existing is not None:
        _demo_incidents_add(case=existing, lead=lead)
        _demo_evidence_add(case=existing, lead=lead)
        _demo_assessments_add(case=existing, lead=lead)
        return existing, False
    case = case_create(
        actor=lead,
        reference=DEMO_REFERENCE,
        title="Demo: Kyiv and Kharkiv oblasts, 2022",
        description="Demonstration data, not evidence: the killings in Bucha and the burial site at Izium.",
    )
    bucha = incident_create(
        actor=lead,
        case=case,
        title="Killings of civilians in Bucha",
        description="Demonstration record. Civilians killed during the occupation of Bucha.",
        occurred_from=datetime(2022, 2, 27, tzinfo=UTC),
        occurred_to=datetime(2022, 3, 31, 23, 59, 59, tzinfo=UTC),
        date_precision=DatePrecision.DAY,
        location=Point(30.2208, 50.5445, srid=4326),
        location_uncertainty_m=1500,
        place_name="Bucha, Kyiv oblast (Yablunska Street)",
        crimes=["8(2)(a)(i)", "8(2)(b)(i)", "7(1)(a)"],
    )
    incident_create(
        actor=lead,
        case=case,
        title="Mass burial site in the forest at Izium",
        description="Demonstration record. Graves exhumed after the liberation of Izium in September 2022.",
        occurred_from=datetime(2022, 4, 1, tzinfo=UTC),
        occurred_to=datetime(2022, 9, 10, 23, 59, 59, tzinfo=UTC),
        date_precision=DatePrecision.MONTH,
        location=Polygon(
            ((37.2440, 49.1735), (37.2490, 49.1735), (37.2490, 49.1765), (37.2440, 49.1765), (37.2440, 49.1735)),
            srid=4326,
        ),
        location_uncertainty_m=100,
        place_name="Izium, Kharkiv oblast (forest by the cemetery)",
        crimes=["8(2)(a)(i)", "8(2)(a)(ii)-1"],
    )
    brigade = unit_create(
        actor=lead, case=case, name="64th Separate Motor Rifle Brigade", designation="military unit 51460"
    )
    commander = person_create(
        actor=lead,
        case=case,
        full_name="Azatbek Omurbekov",
        other_names=["Азатбек Омурбеков", "Azatbek Asanbekovich Omurbekov"],
        rank="Lieutenant Colonel",
        position="Commander",
        unit=brigade,
    )
    allegation_create(
        actor=lead, case=case, incident=bucha, unit=brigade, role=AllegationRole.UNIT_IN_CONTROL, basis="Demo."
    )
    allegation_create(
        actor=lead, case=case, incident=bucha, person=commander, role=AllegationRole.COMMANDER, basis="Demo."
    )
    _demo_incidents_add(case=case, lead=lead)
    _demo_evidence_add(case=case, lead=lead)
    _demo_assessments_add(case=case, lead=lead)
    return case, True


def _demo_evidence_add(*, case: Case, lead: AbstractBaseUser) -> None:
    """Three files to look at, made here (no real material is shipped): a photo with its camera time and
    place in EXIF, an inspection protocol (PDF) and a typed statement, linked to the Bucha incident. The
    worker archives them once `make run` has started it."""
    if case.evidence.exists():
        return
    bucha = case.incidents.filter(title="Killings of civilians in Bucha").first()
    files = [
        ("IMG_0412.jpg", _demo_photo(), {"title": "Yablunska Street, 4 March (demo picture)", "kind": "photo"}),
        ("protocol-of-inspection.pdf", _demo_pdf(), {"title": "Protocol of inspection (demo)", "kind": "document"}),
        ("statement-W-0001.txt", _DEMO_STATEMENT.encode(), {"title": "Typed statement (demo)", "kind": "testimony"}),
    ]
    for name, content, fields in files:
        evidence_receive(
            actor=lead, case=case, upload=ContentFile(content, name=name), original_filename=name,
            incidents=[bucha] if bucha else [], source_type="other", source="Slid's demonstration data", **fields,
        )  # fmt: skip


WILFUL_KILLING = "8(2)(a)(i)"
COMMAND_RESPONSIBILITY = "28(a)"


def _demo_assessments_add(*, case: Case, lead: AbstractBaseUser) -> None:
    """What the three files prove, for the analysis chart: every element of wilful killing in Bucha, and every
    element of the commander's responsibility (article 28(a)) but the last, which stays a gap. The lead proposes
    them; the demo's legal member verifies them. One exculpatory assessment is there too, as it must be shown."""
    if case.assessments.exists():
        return
    bucha = case.incidents.filter(title="Killings of civilians in Bucha").first()
    commander = case.persons.filter(full_name="Azatbek Omurbekov").first()
    items = {item.original_filename: item for item in case.evidence.all()}
    if bucha is None or commander is None or len(items) < 3:
        return
    photo, protocol, statement = (
        items["IMG_0412.jpg"],
        items["protocol-of-inspection.pdf"],
        items["statement-W-0001.txt"],
    )
    reviewer = _demo_reviewer(case=case, lead=lead)
    proposed = []
    for element in elements.crime_elements(WILFUL_KILLING):
        item = protocol if element.kind == "material" else statement
        proposed.append(assessment_create(
            actor=lead, case=case, evidence=item, page=1 if item is protocol else None, incident=bucha,
            crime=WILFUL_KILLING, element=elements.element_key("crime", WILFUL_KILLING, element.number),
            relevance=f"Demo: goes to “{element.summary}”", probative_value="high", directness="direct",
        ))  # fmt: skip
    for element in elements.mode_elements(COMMAND_RESPONSIBILITY)[:-1]:
        proposed.append(assessment_create(
            actor=lead, case=case, evidence=statement, person=commander, mode=COMMAND_RESPONSIBILITY,
            element=elements.element_key("mode", COMMAND_RESPONSIBILITY, element.number),
            relevance=f"Demo: the witness describes “{element.summary}”", probative_value="medium",
            directness="circumstantial",
        ))  # fmt: skip
    exculpatory = assessment_create(
        actor=lead, case=case, evidence=photo, region_x=40, region_y=180, region_w=700, region_h=220, incident=bucha,
        crime=WILFUL_KILLING, element=elements.element_key("crime", WILFUL_KILLING, 1), bearing=Bearing.EXCULPATORY,
        relevance="Demo: the street shows no bodies at 10:15 on 4 March; weigh it against the protocol.",
        probative_value="low", directness="circumstantial",
    )  # fmt: skip
    for assessment in proposed:
        review_submit(actor=lead, obj=assessment, reviewer=reviewer)
        review_verify(actor=reviewer, obj=assessment)
    review_submit(actor=lead, obj=exculpatory, reviewer=reviewer)


_DEMO_STATEMENT = (
    "DEMONSTRATION DATA - NOT EVIDENCE\n\n"
    "Statement of witness W-0001 (pseudonym), taken on 12 April 2022 in Bucha.\n"
    "This text was written for Slid's demo case and describes no real person.\n"
)


def _demo_photo() -> bytes:
    """A drawn street scene marked as a demo, with EXIF: taken on 4 March 2022, 10:15 in Kyiv, in Bucha."""
    image = Image.new("RGB", (960, 640), (176, 196, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 400, 960, 640), fill=(92, 92, 96))
    for left in range(40, 960, 220):
        draw.rectangle((left, 180, left + 150, 400), fill=(200, 186, 160), outline=(90, 80, 70), width=3)
    draw.text((40, 40), "SLID DEMO - drawn picture, not evidence", fill=(20, 30, 50))
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Slid", "demo camera"  # Make, Model
    taken = exif.get_ifd(0x8769)  # Exif IFD
    taken[0x9003], taken[0x9011] = "2022:03:04 10:15:00", "+02:00"  # DateTimeOriginal, OffsetTimeOriginal
    place = exif.get_ifd(0x8825)  # GPS IFD: Yablunska Street, Bucha
    place[1], place[2], place[3], place[4] = "N", (50.0, 32.0, 40.2), "E", (30.0, 13.0, 14.9)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, exif=exif)
    return out.getvalue()


def _demo_pdf() -> bytes:
    """A one-page PDF with a line of text, built by hand (offsets counted, so readers accept it)."""
    text = b"BT /F1 18 Tf 72 720 Td (Protocol of inspection - SLID DEMO, not evidence) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
