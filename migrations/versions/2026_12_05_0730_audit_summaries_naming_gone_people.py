"""Audit log: the summaries written before people were named by number, naming someone anonymised or merged

Revision ID: 0730
Revises: 0700
Create Date: 2026-12-05 10:00:00

Two audit summaries about another record named a person: "Added <name> to case <ref> as <role>" (about
the case) and "Second report by <name> on case <ref>: explain the Case Review" (about the task). They
now give the person's number, because their values are erased with the case or the task, and the
person can be anonymised first: a record merged into another, once its undo window has passed, or a
person kept for a shorter period than their case. The entries written before that change still name
the person.

A summary cannot be rewritten: its hash is in the chained, append-only part of the log. So the
personal values of each such entry whose person (the number in its own changes: the party added, the
task's ``person_id``) is anonymised, or merged into another record (anonymised when its window
passes), are erased, in the erasure's one shape the triggers accept, and the erasure is recorded per
record as ``casework.audit.services`` records it. One pass over the entries with those two summaries
(picked by their text), in batches; no scan per person.

An entry naming a person who lives on unmerged is left as it is: it is erased with its case or task,
as before.

Downgrade: nothing (erased values cannot be brought back).
"""

import hashlib
import json
import re
import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0730"
down_revision = "0700"
branch_labels = None
depends_on = None

ERASED_SUMMARY = "Personal details erased"
BATCH = 500

#: (subject type, summary LIKE, summary NOT LIKE (already by number), where the person's number is).
FORMS = (
    ("cases", "Added % to case % as %", "Added person % to case % as %", "party"),
    (
        "case_review_explanations",
        "Second report by % on case %: explain the Case Review",
        "Second report by person % on case %",
        "person_id",
    ),
)
_NUMBER = re.compile(r"^\d+$")


def _person_of(changes, where):
    """The person's number an entry's changes give, or None."""
    if isinstance(changes, str):
        try:
            changes = json.loads(changes)
        except ValueError:
            return None
    if not isinstance(changes, dict):
        return None
    value = changes.get(where)
    if where == "party":
        # {"party": [None, [person_id, role]]}
        if isinstance(value, list) and len(value) == 2 and isinstance(value[1], list) and value[1]:
            value = value[1][0]
        else:
            return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _NUMBER.match(value):
        return int(value)
    return None


def _digest(nonce, summary):
    # casework.audit.chain.values_digest, for an entry with no changes and no address.
    text = json.dumps(
        {"nonce": nonce, "summary": summary, "changes": None, "ip_address": None},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def upgrade():
    bind = op.get_bind()
    values = sa.table(
        "audit_values",
        sa.column("entry_id", sa.Integer),
        sa.column("subject_type", sa.String),
        sa.column("subject_id", sa.String),
        sa.column("summary", sa.String),
        sa.column("changes", sa.JSON),
        sa.column("ip_address", sa.String),
        sa.column("nonce", sa.String),
        sa.column("erased_at", sa.DateTime(timezone=True)),
    )
    entries = sa.table(
        "audit_entries",
        sa.column("id", sa.Integer),
        sa.column("action", sa.String),
        sa.column("object_type", sa.String),
        sa.column("object_id", sa.String),
        sa.column("values_hash", sa.String),
    )
    people = sa.table("people", sa.column("id", sa.Integer), sa.column("anonymised_at"), sa.column("merged_into_id"))
    for subject_type, like, by_number, where in FORMS:
        after = -1
        while True:
            rows = bind.execute(
                sa.select(values.c.entry_id, values.c.subject_id, values.c.changes)
                .where(
                    values.c.subject_type == subject_type,
                    values.c.erased_at.is_(None),
                    values.c.summary.like(like),
                    values.c.summary.not_like(by_number),
                    values.c.entry_id > after,
                )
                .order_by(values.c.entry_id)
                .limit(BATCH)
            ).all()
            if not rows:
                break
            after = rows[-1].entry_id
            person_of = {row.entry_id: _person_of(row.changes, where) for row in rows}
            numbers = {number for number in person_of.values() if number is not None}
            if not numbers:
                continue
            gone = set(
                bind.execute(
                    sa.select(people.c.id).where(
                        people.c.id.in_(sorted(numbers)),
                        sa.or_(people.c.anonymised_at.is_not(None), people.c.merged_into_id.is_not(None)),
                    )
                ).scalars()
            )
            erase = [row for row in rows if person_of[row.entry_id] in gone]
            if not erase:
                continue
            bind.execute(
                sa.update(values)
                .where(values.c.entry_id.in_([row.entry_id for row in erase]), values.c.erased_at.is_(None))
                .values(
                    summary=ERASED_SUMMARY,
                    changes=sa.null(),
                    ip_address=None,
                    nonce=None,
                    erased_at=sa.func.now(),
                )
            )
            counts = {}
            for row in erase:
                counts[row.subject_id] = counts.get(row.subject_id, 0) + 1
            for subject_id, erased in sorted(counts.items(), key=lambda item: str(item[0])):
                _record_erasure(bind, entries, values, subject_type, subject_id, erased)


def _record_erasure(bind, entries, values, subject_type, subject_id, erased):
    """The record of the erasure, as ``casework.audit.services`` writes it (the system, no address)."""
    summary = f"Erased the personal details of {erased} audit {'entry' if erased == 1 else 'entries'}"
    nonce = secrets.token_hex(16)
    entry_id = bind.execute(
        sa.insert(entries)
        .values(
            action="erase",
            object_type=subject_type,
            object_id=subject_id,
            values_hash=_digest(nonce, summary),
        )
        .returning(entries.c.id)
    ).scalar_one()
    bind.execute(
        sa.insert(values).values(
            entry_id=entry_id, subject_type=subject_type, subject_id=subject_id, summary=summary, nonce=nonce
        )
    )


def downgrade():
    pass
