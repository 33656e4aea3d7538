"""Interventions in and out of spreadsheets: an import layout (through ``services.create_intervention``,
so the statutory checks of the day of issue apply, as through the API) and the export of the
interventions on the cases a user can see."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa

from casework.cases.models import Case
from casework.cases.policies import visible_cases_clause
from casework.cases.spreadsheets import IMPORTERS, _first_time, _reference, _visible_cases, _visible_person_ids
from casework.core.permissions import Permission
from casework.extensions import db
from casework.interventions import services
from casework.interventions.models import KIND_LABELS, Intervention, InterventionKind, InterventionStatus
from casework.spreadsheets import columns as c
from casework.spreadsheets.columns import Column, Layout
from casework.spreadsheets.kinds import Export, ExportList, ImportKind, ParsedRow, known_area, known_choice, tracking

INTERVENTIONS = Layout(
    key="interventions",
    title="Interventions",
    description=(
        "Warnings, notices and orders: one row per intervention. Each is checked against the rules in "
        "force on its date of issue, as when it is recorded in the service."
    ),
    columns=(
        _reference(example="W-0907", aliases=("intervention reference", "id")),
        Column(
            "case_reference",
            "Case reference",
            c.text_value(100),
            "From a cases import, or in this service",
            required=True,
            example="C-2019-044",
        ),
        Column(
            "kind",
            "Kind",
            c.choice([k.value for k in InterventionKind]),
            "warning_letter, abc, cpw, cpn, fpn, civil_injunction, ...",
            required=True,
            example="cpw",
        ),
        Column(
            "subject",
            "Subject",
            c.text_value(100),
            "The reference of the person it is for (from a people import): a party to the case",
            example="P-1002",
        ),
        Column("issued_on", "Date issued", c.event_date, "", required=True, example="2019-07-02"),
        Column("issuing_agency_code", "Issuing agency code", c.code, "Default: your agency"),
        Column("issuing_officer_name", "Issuing officer", c.text_value(200), "Who issued it, if not you"),
        Column("comply_by", "Comply by", c.planned_date, "A CPW's compliance date", example="2019-07-16"),
        Column("starts_on", "Start date", c.planned_date, ""),
        Column("ends_on", "End date", c.planned_date, ""),
        Column("amount", "Amount", c.money, "An FPN's amount in pounds"),
        Column("related", "For intervention", c.text_value(100), "An FPN: the reference of the CPN or PSPO it is for"),
        Column("applied_on", "Date applied for", c.event_date, "For an order granted on application"),
        Column("convicted_on", "Date of conviction", c.event_date, "For a Criminal Behaviour Order"),
        Column("yot_consulted_on", "Youth offending team consulted", c.event_date, "For an under-18 injunction"),
        Column("location", "Location", c.text_value(500), ""),
        Column("requirements", "Requirements", c.text_value(20_000), ""),
        Column("prohibitions", "Prohibitions", c.text_value(20_000), ""),
        Column("notes", "Notes", c.text_value(20_000), ""),
        Column(
            "status",
            "Status",
            c.choice([s.value for s in InterventionStatus]),
            "issued (the default), complied, breached, appealed, expired, withdrawn or varied; appealed only "
            "for a power that can be appealed (not a warning, an ABC, a fixed penalty, a closure notice, a "
            "dispersal direction or a Community Remedy)",
            example="complied",
        ),
        Column(
            "appeal_lodged_on",
            "Date the appeal was lodged",
            c.event_date,
            "With the status appealed only: the day the appeal was lodged (empty: the day of the import)",
        ),
        Column(
            "varied_on",
            "Date it was varied",
            c.event_date,
            "With the status varied only (a closure order or a PSPO): the day it was varied, from which the time to "
            "appeal runs again (empty: the day of the import)",
        ),
    ),
)

_DATA_KEYS = (
    "issued_on",
    "issuing_officer_name",
    "comply_by",
    "starts_on",
    "ends_on",
    "amount",
    "applied_on",
    "convicted_on",
    "yot_consulted_on",
    "location",
    "requirements",
    "prohibitions",
    "notes",
)
_FIELDS = {k: k for k in _DATA_KEYS} | {
    "subject_person_id": "subject",
    "related_intervention_id": "related",
    "issuing_agency_code": "issuing_agency_code",
    "kind": "kind",
    "status": "status",
    "appeal_lodged_on": "appeal_lodged_on",
    "varied_on": "varied_on",
}


def run_interventions(context: Any, rows: Iterator[ParsedRow]) -> None:
    for row in rows:
        if context.cell_problems(row):
            context.row_done()
            continue
        values = row.values
        if not _first_time(context, row, "intervention", values["reference"], "interventions"):
            continue
        case = _visible_cases(context, {values["case_reference"]}).get(values["case_reference"])
        problems = []
        if case is None:
            problems.append(("case_reference", f"There is no case {values['case_reference']}, or you cannot see it"))
        subject_id = None
        if values["subject"]:
            subject_id = _visible_person_ids(context, [values["subject"]]).get(values["subject"])
            if subject_id is None:
                problems.append(
                    ("subject", f"No person you can see was imported with the reference {values['subject']}")
                )
        related_id = None
        if values["related"]:
            found = context.find("intervention", [values["related"]]).get(values["related"])
            if found is None:
                problems.append(("related", f"No intervention was imported with the reference {values['related']}"))
            else:
                related_id = found.object_id
        if not values["status"] or values["status"] == InterventionStatus.issued.value:
            # A row left issued never reaches the status change that would refuse these: refused here,
            # not dropped without a word.
            if values["varied_on"] is not None:
                problems.append(("varied_on", services.VARIED_ON_WITHOUT_VARIATION))
            if values["appeal_lodged_on"] is not None:
                problems.append(("appeal_lodged_on", services.LODGED_ON_WITHOUT_APPEAL))
        if problems:
            for key, message in problems:
                context.problem(row.number, key, message)
            context.row_done()
            continue
        data = {key: values[key] for key in _DATA_KEYS}
        data.update(
            kind=values["kind"],
            subject_person_id=subject_id,
            related_intervention_id=related_id,
            issuing_agency_code=values["issuing_agency_code"],
        )
        with context.row(row.number, _FIELDS) as created:
            intervention, _warnings = services.create_intervention(context.actor, case, data)
            if values["status"] and values["status"] != InterventionStatus.issued.value:
                services.update_status(
                    context.actor,
                    intervention,
                    values["status"],
                    appeal_lodged_on=values["appeal_lodged_on"],
                    varied_on=values["varied_on"],
                )
            context.remember("intervention", [(values["reference"], "interventions", intervention.id)])
            created["interventions"] += 1


IMPORTS = [
    ImportKind(
        INTERVENTIONS,
        IMPORTERS,
        run_interventions,
        examples=(
            {
                "reference": "W-0907",
                "case_reference": "C-2019-044",
                "kind": "cpw",
                "subject": "P-1002",
                "issued_on": "2019-07-02",
                "comply_by": "2019-07-16",
                "requirements": "Keep noise down after 11pm",
                "status": "complied",
            },
        ),
    )
]


def visible_interventions(user: Any, args: Mapping[str, str]) -> sa.Select:
    """Interventions on the cases ``user`` can see, newest first; ``kind``, ``status`` and ``area``
    filter them."""
    from casework.accounts.models import Area

    query = (
        sa.select(Intervention)
        .join(Case, Case.id == Intervention.case_id)
        .where(visible_cases_clause(user))
        .options(
            sa.orm.contains_eager(Intervention.case),
            sa.orm.joinedload(Intervention.subject),
            sa.orm.joinedload(Intervention.issuing_agency),
        )
        .order_by(Intervention.issued_on.desc(), Intervention.id.desc())
    )
    if args.get("kind") in {k.value for k in InterventionKind}:
        query = query.where(Intervention.kind == args["kind"])
    if args.get("status") in {s.value for s in InterventionStatus}:
        query = query.where(Intervention.status == args["status"])
    if args.get("area"):
        query = query.where(Case.area_id == sa.select(Area.id).where(Area.code == args["area"]).scalar_subquery())
    return query


def export_interventions(user: Any, args: Mapping[str, str]) -> Export:
    keys = (
        "reference",
        "case_reference",
        "kind",
        "issued_on",
        "issuing_agency_code",
        "comply_by",
        "ends_on",
        "requirements",
        "prohibitions",
        "status",
        "appeal_lodged_on",
    )
    header = [INTERVENTIONS.column(key).label for key in keys] + ["What", "Subject's name"]
    ids: list[int] = []

    def rows() -> Iterator[tuple[int, list[Any]]]:
        query = visible_interventions(user, args).execution_options(yield_per=500)
        for item in db.session.scalars(query):
            yield (
                item.id,
                [
                    f"INTERVENTION-{item.id}",
                    item.case.reference,
                    item.kind.value,
                    item.issued_on,
                    item.issuing_agency.code if item.issuing_agency else None,
                    item.comply_by,
                    item.ends_on,
                    item.requirements,
                    item.prohibitions,
                    item.status.value,
                    # As the import takes it: the day the appeal in progress was lodged.
                    item.appeal_lodged_on if item.status == InterventionStatus.appealed else None,
                    KIND_LABELS.get(item.kind, item.kind.value),
                    item.subject_caption,
                ],
            )

    applied = {
        "kind": known_choice(args.get("kind"), InterventionKind),
        "status": known_choice(args.get("status"), InterventionStatus),
        "area": known_area(args.get("area")),
    }
    return Export(header, tracking(ids, rows()), "interventions", ids, "interventions", applied)


EXPORTS = [ExportList("interventions", "Interventions", frozenset({Permission.VIEW_CASES}), export_interventions)]
