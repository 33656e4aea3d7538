"""docs/imports.md, written from the layouts themselves so the document cannot drift from the code:

    .venv/bin/python -m casework.spreadsheets.docs > docs/imports.md

(``tests/spreadsheets/test_docs.py`` fails when the file is not what this writes.)"""

from __future__ import annotations

from typing import Any

from casework.spreadsheets.kinds import export_lists, import_kinds

INTRO = """\
# Imports and exports

A partnership that starts using Casework arrives with years of records in another case system (ECINS),
spreadsheets and police incident logs, and Case Reviews held on paper. The **Imports** pages (for
coordinators and managers) bring them in; every list a user can see can be **downloaded** as CSV or
Excel.

## How an import works

1. **Upload** a CSV file (saved as CSV UTF-8) or an Excel workbook (.xlsx, the first sheet), up to
   `CASEWORK_IMPORT_MAX_MB` (50 MB by default). The file is stored in the database, in pieces, and read
   a row at a time (the `csv` module; openpyxl in read-only mode): never whole in memory. A file may
   have up to `CASEWORK_IMPORT_MAX_ROWS` rows (500,000 by default, as the sheet numbers them), 1,000
   columns, and 1 MB of text in one CSV row. A workbook is refused at the upload if it would unpack to
   more than twenty times `CASEWORK_IMPORT_MAX_MB`, if a part other than a sheet would unpack to more
   than `CASEWORK_IMPORT_MAX_MB`, if a cell or value runs past 1 MB, or if its XML defines entities that
   name files or expand a thousandfold.
2. **Match the columns** of your file to the layout below. Columns named as in the layout (its key or
   its name, ignoring case, spaces and punctuation) are matched already.
3. **The check** (a Celery task) takes every row through the same services, rules and visibility as the
   API, in a transaction that is then rolled back: nothing is written. Each problem is listed with its
   row (as your spreadsheet numbers it: the header is row 1), its column (your file's name for it) and a
   message. The file can be imported only once a check finds no problem.
4. **The import** (a Celery task) does the same and keeps the result: all or nothing. It is audited as a
   whole, and every row it wrote is noted so that it can be **undone** as a whole, as long as nothing it
   brought in has changed since (a change, or a record added to one it brought in, is found through
   the audit log and the database's foreign keys).
5. **Importing the same file twice changes nothing**: each record is known by your own reference for it
   (its ID in the system it comes from), per importing agency, and a reference imported before is
   skipped.

The uploaded file holds personal data, so it is kept only while it can still be imported: it is
deleted when the import has run, and as soon as a check or an import finds a problem in it (correct the
file and upload it again). A file left waiting (never checked, or checked and never imported) is
deleted by a daily task once nothing has been done with it for `CASEWORK_IMPORT_FILE_DAYS` (7 days by
default).

What the import says about the file goes the same way, by the same daily task and on the same clock
(`CASEWORK_IMPORT_FILE_DAYS` after the last step taken with the import), whether or not the file was
deleted earlier:

- **the problems found in it**: a problem's message can quote the row's cells (a reference, a name, what
  the service said about the row), and once the file is gone there is nothing left to correct. They are
  kept until then, so that the file can be corrected from the list; the import's page then says how
  many problems there were, and that they were deleted, instead of listing them;
- **its column names** (the file's first row: a file saved without one has someone's details there);
- **its name**, which can say whose records they are ("Smith family complaints.xlsx"): it becomes
  `import-<number>.<format>` (`import-12.xlsx`), which still tells the imports apart and shows what kind
  of file it was. The name is kept until then because it is how the person who uploaded the file
  recognises it while they work with it, and no longer because nothing about the import needs it
  afterwards: the checksum still tells whether a file is the one imported;
- **the summaries of the import's entries in the audit log**, which quote the name (erased as retention
  erases the personal values of an entry: who, when and what kind of step stay).

The import's own record stays: who uploaded what kind of records when, the file's format, size and
checksum, how many rows and problems there were, what it imported, and the note of every record it
wrote, so that it can still be undone as a whole. An error that stopped an import is a fixed message,
never the file's contents.

An import undone deletes every record it wrote; the audit entries about those records keep who, when and
what kind of change, and the next nightly retention run erases their values (the name, address and
numbers each record was written with), as it does for any record deleted outright.

If the service itself stops while a check or an import runs (its worker killed or out of memory, the
machine restarted), nothing of that run is kept: the whole run is one transaction, which goes with it.
The page goes on saying the file is being checked or imported, and within a few minutes another worker
starts the run again from the first row (`CASEWORK_JOB_LEASE_SECONDS`, 2 minutes by default, then the
next minute's sweep). A run that goes on longer than `CASEWORK_JOB_TIME_LIMIT_SECONDS` (30 minutes by
default) is taken for stuck and started again in the same way; if it ever finishes, what it did is
dropped. After `CASEWORK_JOB_ATTEMPTS` runs (3 by default) that stopped or ran out of time, it is given
up: the page says so and that nothing was imported. Match the columns again to try once more, or upload
the file again (a very large file in smaller parts).

Past work is recorded only: an import sends no letters or emails (as for any step dated before today,
whichever way it is entered), and the deadlines of historic Case Reviews that had passed before they
were brought in are closed.

Cells: dates may be written `2026-03-02` or `02/03/2026` (day first); yes and no as `yes`, `no`, `y`,
`n`, `true`, `false`, `1` or `0`. A cell that starts with a quote followed by `=`, `+`, `-`, `@`, a tab, a
carriage return or another quote has that quote removed: it is how this service's downloads protect such
cells from being read as a formula, so a download imports back exactly.

The layouts are also shown in the service (Imports, then a kind), each with a template to download.
"""

EXPORTS = """\
## Downloads

Each list offers its rows as CSV or Excel, with the list's own filters: only the rows and columns the
user can see there, and the download is recorded in the audit log with the ids of the records in it.
Text that starts with `=`, `+`, `-`, `@`, a tab or a carriage return (or a quote) is written with a quote
in front, so that a spreadsheet never runs it as a formula. The case, action and intervention lists name
their columns as the import layouts do, so a download can be imported into another Casework service.
"""


def render_markdown(app: Any = None) -> str:
    """The document for the imports and exports ``app`` has (default: the current app)."""
    parts = [INTRO]
    for kind in import_kinds(app).values():
        layout = kind.layout
        parts.append(f"## {layout.title} (`{layout.key}`)\n\n{layout.description}\n")
        parts.append("| column | required | what it holds | example |\n|---|---|---|---|")
        for column in layout.columns:
            holds = column.label + (f": {column.description}" if column.description else "")
            required = "yes" if column.required else ""
            parts.append(f"| `{column.key}` | {required} | {holds.replace('|', '/')} | {column.example} |")
        parts.append("")
    parts.append(EXPORTS)
    parts.append("| list | download |\n|---|---|")
    for export in export_lists(app).values():
        parts.append(f"| {export.title} | `/exports/{export.key}.csv`, `/exports/{export.key}.xlsx` |")
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    from casework.app import create_app

    print(render_markdown(create_app()), end="")
