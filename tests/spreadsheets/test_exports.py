"""Exports of every list: only what the user sees, audited, with cells that a spreadsheet would read as
a formula escaped; and the round trip: a case list exported and imported again gives back exactly the
same text, whatever it started with."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditAction, AuditEntry
from casework.cases.models import Case
from casework.extensions import db
from casework.spreadsheets.cells import escape, unescape

TRICKY = [
    '=HYPERLINK("http://evil.example","Click")',
    "+44 1246 242424",
    "-5 degrees outside",
    "@SUM(A1:A2)",
    "'already quoted",
    "''twice quoted",
    "'=quoted formula",
    "Plain text, with a comma",
    "'",
]


@pytest.mark.parametrize("text", [*TRICKY, "", "a", "=", "'a", "-", "\t=1+1", "\r=1+1", "'\t", "\ttabbed"])
def test_escape_then_unescape_is_exact(text):
    assert unescape(escape(text)) == text
    # A tab or a carriage return in front is dropped by some spreadsheet programs, which then read the
    # rest as a formula.
    assert not escape(text).startswith(("=", "+", "-", "@", "\t", "\r"))


def _open_cases(api_client, user, summaries):
    client = api_client(user)
    ids = []
    for summary in summaries:
        response = client.post(
            "/api/v1/cases",
            json={
                "area_code": "BOL",
                "category": "personal",
                "summary": summary,
                "location": summary[:300],
                "parties": [],
            },
        )
        assert response.status_code == 201, response.json
        ids.append(response.json["id"])
    return ids


def _csv_rows(response):
    text = response.get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_case_list_export_escapes_formulas_and_is_audited(page_client, api_client, world):
    ids = _open_cases(api_client, world.coordinator, TRICKY)
    # Another council's case is not in the coordinator's list, so not in the export.
    other = api_client(world.other_coordinator).post(
        "/api/v1/cases", json={"area_code": "NED", "category": "personal", "summary": "Elsewhere", "parties": []}
    )
    assert other.status_code == 201
    client = page_client(world.coordinator)
    response = client.get("/exports/cases.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    header, body = rows[0], rows[1:]
    summaries = [row[header.index("Summary")] for row in body]
    assert sorted(summaries) == sorted(escape(t) for t in TRICKY)
    assert '\'=HYPERLINK("http://evil.example","Click")' in summaries
    assert "Elsewhere" not in summaries
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.export))
    assert entry.actor_id == world.coordinator.id
    assert sorted(entry.changes["ids"]) == sorted(ids)
    assert entry.changes["count"] == len(TRICKY)


def test_the_list_filters_apply_to_the_export(page_client, api_client, world):
    _open_cases(api_client, world.coordinator, ["Dogs barking", "Noise upstairs"])
    response = page_client(world.coordinator).get("/exports/cases.csv?q=dogs")
    body = _csv_rows(response)[1:]
    assert [row[3] for row in body] == ["Dogs barking"]


def test_xlsx_cells_are_text_not_formulas(page_client, api_client, world):
    from openpyxl import load_workbook

    _open_cases(api_client, world.coordinator, TRICKY)
    response = page_client(world.coordinator).get("/exports/cases.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    column = header.index("Summary") + 1
    cells = [sheet.cell(row=r, column=column) for r in range(2, sheet.max_row + 1)]
    assert all(cell.data_type == "s" for cell in cells)
    assert sorted(cell.value for cell in cells) == sorted(escape(t) for t in TRICKY)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_round_trip_export_then_import_gives_back_the_same_text(page_client, api_client, importer, world, file_format):
    _open_cases(api_client, world.coordinator, TRICKY)
    exported = page_client(world.coordinator).get(f"/exports/cases.{file_format}").get_data()
    before = {c.id for c in db.session.scalars(sa.select(Case))}
    job = importer.run("cases", exported, filename=f"cases.{file_format}")
    assert job.summary["created"] == {"cases": len(TRICKY)}, job.summary
    imported = db.session.scalars(sa.select(Case).where(Case.id.not_in(before))).all()
    assert sorted(c.summary for c in imported) == sorted(TRICKY)
    assert sorted(c.location for c in imported) == sorted(t[:300] for t in TRICKY)
    # Importing the same export again changes nothing: its references were imported.
    again = importer.run("cases", exported, filename=f"cases.{file_format}")
    assert again.summary["created"] == {}


def test_who_may_export_what(page_client, world):
    assert page_client(world.chair).get("/exports/cases.csv").status_code == 403
    assert page_client(world.admin).get("/exports/cases.csv").status_code == 403
    assert page_client(world.coordinator).get("/exports/nothing.csv").status_code == 404
    assert page_client(world.coordinator).get("/exports/cases.pdf").status_code == 404
    # The partner sees (and exports) only the cases shared with the police.
    assert _csv_rows(page_client(world.partner).get("/exports/cases.csv"))[1:] == []


def test_every_list_exports(page_client, api_client, world):
    _open_cases(api_client, world.coordinator, ["Noise"])
    client = page_client(world.coordinator)
    for key in ("cases", "actions", "interventions", "case_reviews", "deadlines"):
        for file_format in ("csv", "xlsx"):
            response = client.get(f"/exports/{key}.{file_format}")
            assert response.status_code == 200, key
            assert response.headers["Content-Disposition"].startswith("attachment")
    chair = page_client(world.chair)
    assert chair.get("/exports/case_reviews.csv").status_code == 200
    assert chair.get("/exports/deadlines.csv").status_code == 200


def test_every_csv_download_names_its_character_set_once(page_client, api_client, world):
    """Every list's export and every import layout's template, as CSV: ``text/csv; charset=utf-8``, the
    charset named once (it was named twice)."""
    from casework.spreadsheets.kinds import export_lists, import_kinds

    _open_cases(api_client, world.coordinator, ["Noise"])
    urls = [(world.coordinator, f"/exports/{key}.csv") for key in sorted(export_lists())]
    urls += [(world.coordinator, f"/imports/layouts/{key}/template.csv") for key in sorted(import_kinds())]
    assert len(urls) > 5
    for user, url in urls:
        response = page_client(user).get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url


def test_no_export_keeps_typed_text_in_its_audit_entry(page_client, api_client, world):
    """An export's audit entry says which filters the list applied, never what was typed into its query
    string: a search for a name (or a name put in any argument) would stay in the audit log for ever, as
    the entry is about no record that retention anonymises (the ids listed say what went out)."""
    from casework.audit.models import audit_values
    from casework.spreadsheets.kinds import export_lists

    _open_cases(api_client, world.coordinator, ["Barking dogs"])
    typed = "Quillfeather"
    client = page_client(world.coordinator)
    lists = sorted(export_lists())
    assert {"cases", "actions", "interventions", "case_reviews", "deadlines"} <= set(lists)
    for key in lists:
        # Every argument any list reads, and one none reads, each holding the typed text.
        arguments = ("q", "area", "status", "owner", "team", "risk", "category", "agency", "kind", "due", "all")
        query = "&".join(f"{name}={typed}" for name in (*arguments, "note"))
        response = client.get(f"/exports/{key}.csv?{query}")
        assert response.status_code == 200, key
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == AuditAction.export)).all()
    assert sorted(e.object_type for e in entries) == sorted(
        export_lists()[key].build(world.coordinator, {}).object_type for key in lists
    )
    kept = db.session.execute(sa.select(audit_values.c.summary, audit_values.c.changes)).all()
    assert not [row for row in kept if typed.lower() in str(row).lower()]
    # What the list did apply is still recorded: the case list's status, and that it was searched.
    client.get("/exports/cases.csv?q=barking&status=open")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.export).order_by(AuditEntry.id.desc())
    ).first()
    assert entry.changes["filters"] == {"status": "open", "searched": True}
    assert entry.changes["count"] == 1


# --- control characters: an XLSX cell cannot hold them ---------------------------------------------------

#: Text pasted from elsewhere: Word's line break (vertical tab) and page break (form feed), a terminal's
#: colour codes (escape), a bell; every character below 32 that XML 1.0 cannot write (a null cannot be
#: saved at all).
CONTROLLED = "Noise\x0bat night\x0cagain \x1b[31mred\x1b[0m\x07 " + "".join(
    chr(code) for code in range(1, 32) if chr(code) not in "\t\n\r"
)


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("line\x0bbreak", "line\nbreak"),
        ("page\x0cbreak", "page\nbreak"),
        ("esc\x1b[0m bell\x07 nul\x00", "esc[0m bell nul"),
        ("\x0b=HYPERLINK(1)", "\n=HYPERLINK(1)"),
        ("\x07=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("tab\tand\r\nnewline", "tab\tand\r\nnewline"),
        ("'\x07", "''"),
    ],
    ids=["vertical tab", "form feed", "escape bell null", "break then formula", "bell then formula", "kept", "quote"],
)
def test_an_xlsx_cell_leaves_out_what_a_workbook_cannot_hold(text, cell):
    from openpyxl import Workbook

    from casework.spreadsheets.cells import to_xlsx_cell

    assert to_xlsx_cell(text) == cell
    # What is left may start like a formula (a bell in front of "="): it is escaped all the same.
    assert not to_xlsx_cell(text).startswith(("=", "+", "-", "@", "\t", "\r"))
    Workbook(write_only=True).create_sheet().append([to_xlsx_cell(text)])  # openpyxl takes it


def test_every_list_exports_text_with_control_characters_as_xlsx(page_client, api_client, world):
    """A record whose text holds a control character (pasted from Word or a terminal) does not stop
    any list's XLSX export: every export list is walked, each with the case, its action and its note."""
    from openpyxl import load_workbook

    from casework.spreadsheets.kinds import export_lists

    (case_id,) = _open_cases(api_client, world.coordinator, [CONTROLLED])
    client = api_client(world.coordinator)
    action = client.post(f"/api/v1/cases/{case_id}/actions", json={"description": CONTROLLED, "due_on": None})
    assert action.status_code == 201, action.json
    pages = page_client(world.coordinator)
    written = []
    for key in sorted(export_lists()):
        response = pages.get(f"/exports/{key}.xlsx")
        assert response.status_code == 200, key
        sheet = load_workbook(io.BytesIO(response.get_data())).active
        written += [cell for row in sheet.iter_rows(values_only=True) for cell in row if isinstance(cell, str)]
    expected = "Noise\nat night\nagain [31mred[0m "
    assert [cell for cell in written if cell.startswith(expected)], written
