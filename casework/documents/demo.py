"""Demo letterheads, documents and a served notice (loaded after casework/interventions/demo.py).

Idempotent: each part looks for what it would create first. Derbyshire's districts share the county
letterhead; Bolsover has its own, with a logo. The noise case at 9 Station Road gets a photo of an
incident (taken on a phone that recorded where: the location is removed on upload), a diary sheet and
the Community Protection Warning served from the service; the harassment case, shared with the police,
gets a photo too, so every demo role that sees a case sees its documents.
"""

from __future__ import annotations

import io
from datetime import datetime, time

import sqlalchemy as sa

from casework.accounts import services as accounts
from casework.accounts.models import Area
from casework.cases.models import Case, Incident
from casework.core.db import commit
from casework.core.time import LONDON
from casework.demo import DEMO_DOMAIN
from casework.documents import layout, letterheads
from casework.documents import services as documents
from casework.documents.models import Document, Letterhead
from casework.extensions import db
from casework.interventions import notices
from casework.interventions.models import Intervention, InterventionKind, ServiceMethod

FPN_PAYMENT = (
    "Pay the council that issued the notice, quoting its reference: Bolsover District Council, The Arc, High "
    "Street, Clowne S43 4JY. Pay online at bolsover.gov.uk/pay, by telephone on 01246 242424 (debit or credit "
    "card), or in person at The Arc (cash or card)."
)
HOUSING_AND_LEGAL_ADVICE = (
    "Housing advice: your district council's housing options team (Bolsover 01246 242424). Legal advice: Citizens "
    "Advice Derbyshire Districts, 0808 278 7950; Shelter's helpline, 0808 800 4444."
)


def _case(summary_start: str) -> Case | None:
    return db.session.scalar(sa.select(Case).where(Case.summary.startswith(summary_start)))


def _image(text: str, colour: tuple[int, int, int], *, fmt: str = "JPEG", gps: bool = False) -> bytes:
    """A picture for the demo: a coloured panel with a caption, as a phone would save it."""
    from PIL import Image, ImageDraw  # the demo's pictures only: not loaded by every worker at start

    image = Image.new("RGB", (640, 420), colour)
    ImageDraw.Draw(image).text((24, 190), text, fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x0110] = "Demo phone"
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (53.0, 13.0, 50.0), 3: "W", 4: (1.0, 17.0, 40.0)})
    output = io.BytesIO()
    image.save(output, fmt, exif=exif.tobytes())
    return output.getvalue()


def _letterheads() -> None:
    if db.session.scalar(sa.select(sa.literal(True)).where(Letterhead.area_id.is_(None))) is None:
        letterheads.save_letterhead(
            None,
            None,
            {
                "name": "Derbyshire Safer Communities",
                "address": "County Hall\nSmedley Street\nMatlock\nDE4 3AG",
                "contact": "01629 533190\nsafercommunities@derbyshire.example",
                "fixed_penalty_payment": FPN_PAYMENT,
                "housing_and_legal_advice": HOUSING_AND_LEGAL_ADVICE,
            },
        )
    bolsover = db.session.scalar(sa.select(Area).where(Area.code == "BOL"))
    if bolsover is not None and letterheads.letterhead_of(bolsover) is None:
        letterheads.save_letterhead(
            None,
            bolsover,
            {
                "name": "Bolsover Community Safety Partnership",
                "address": "The Arc\nHigh Street\nClowne\nS43 4JY",
                "contact": "01246 242424\nasb@bolsover.example",
                "logo_alt": "Bolsover Community Safety Partnership logo",
                "fixed_penalty_payment": FPN_PAYMENT,
                "housing_and_legal_advice": HOUSING_AND_LEGAL_ADVICE,
            },
            logo=("bolsover-csp.png", _image("Bolsover CSP", (0, 48, 120), fmt="PNG")),
        )


def _documents(officer: object, noise: Case, harassment: Case | None) -> None:
    if db.session.scalar(sa.select(sa.literal(True)).where(Document.case_id == noise.id)) is not None:
        return
    incident = db.session.scalar(
        sa.select(Incident).where(Incident.case_id == noise.id).order_by(Incident.occurred_on).limit(1)
    )
    documents.upload(
        officer,
        noise,
        kind="photo",
        filename="IMG_2041.jpg",
        content=_image("Speakers in the front garden, 9 Station Road", (90, 60, 40), gps=True),
        description="Speakers set up in the front garden, taken from the pavement at 11:40pm.",
        incident_id=incident.id if incident else None,
    )
    documents.upload(
        officer,
        noise,
        kind="diary_sheet",
        filename="diary-sheet-station-road-stores.txt",
        content=(
            b"Noise diary: Station Road Stores\n\n"
            b"Friday: music from number 9 from 10pm until 3am. Bass could be felt through the wall.\n"
            b"Saturday: music from 11pm until 2am. Shouting in the street when the party ended.\n"
        ),
        description="Kept by the shop's manager for two weekends.",
    )
    if harassment is not None:
        documents.upload(
            officer,
            harassment,
            kind="photo",
            filename="window-14-station-road.png",
            content=_image("Cracked window, 14 Station Road", (60, 60, 70), fmt="PNG"),
            description="The front window after stones were thrown.",
        )


def _served_warning(officer: object, noise: Case) -> None:
    warning = db.session.scalar(
        sa.select(Intervention).where(Intervention.case_id == noise.id, Intervention.kind == InterventionKind.cpw)
    )
    if warning is None or warning.served_at is not None or not layout.pdf_available():
        return
    subject = warning.subject
    served_at = datetime.combine(warning.issued_on, time(18, 30), tzinfo=LONDON)
    notices.serve(
        officer,
        warning,
        notices.Service(
            recipient_name=subject.name if subject else "The occupier",
            recipient_address="\n".join(p for p in ((subject.address or ""), (subject.postcode or "")) if p)
            if subject
            else "9 Station Road, Bolsover",
            served_at=served_at,
            method=ServiceMethod.by_hand,
            served_by_name=getattr(officer, "name", "ASB officer"),
            details={"conduct": "Playing amplified music, audible in neighbouring homes, late at night at weekends."},
        ),
    )


def load_documents(_password: str) -> None:
    officer = accounts.find_user_by_email(f"officer@{DEMO_DOMAIN}")
    noise = _case("Loud music and parties at 9 Station Road")
    harassment = _case("Margaret Holmes is harassed")
    _letterheads()
    if officer is not None and noise is not None:
        _documents(officer, noise, harassment)
        _served_warning(officer, noise)
    commit()
