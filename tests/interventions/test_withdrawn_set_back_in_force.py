"""An intervention's status could be moved back from a finished status (withdrawn,
complied, expired) to a live one, and its statutory deadline stayed cancelled: a live warning or order
with no reminder of the day it falls due.

``interventions.services.update_status`` now refuses the moves ``status_refusal`` names, and a
finished intervention made live again (a mistaken withdrawal undone) has its dates still to come due
again (tests/interventions/test_status_order.py).
"""

from __future__ import annotations

import sqlalchemy as sa
import time_machine

from casework.extensions import db
from casework.reminders.models import Deadline, DeadlineStatus
from tests.interventions.world import world  # noqa: F401


def test_a_withdrawn_warning_made_live_again_keeps_its_deadline(world, api_client):  # noqa: F811
    with time_machine.travel("2026-11-23T12:00:00+00:00", tick=False):
        api = api_client(world.officer)
        made = api.post(
            f"/api/v1/cases/{world.case.id}/interventions",
            json={
                "kind": "cpw",
                "subject_person_id": world.adult.id,
                "issued_on": "2026-11-20",
                "comply_by": "2026-12-20",
            },
        )
        assert made.status_code == 201, made.get_json()
        intervention = made.get_json()

        def open_deadlines() -> int:
            db.session.expire_all()
            return db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Deadline)
                .where(
                    Deadline.subject_type == "interventions",
                    Deadline.subject_id == intervention["id"],
                    Deadline.status == DeadlineStatus.open,
                )
            )

        assert open_deadlines() >= 1
        withdrawn = api.patch(
            f"/api/v1/interventions/{intervention['id']}",
            json={"status": "withdrawn", "version": intervention["version"]},
        )
        assert withdrawn.status_code == 200
        assert open_deadlines() == 0
        live = api.patch(
            f"/api/v1/interventions/{intervention['id']}",
            json={"status": "issued", "version": withdrawn.get_json()["version"]},
        )
        # Safe: either a finished intervention cannot be made live again, or it gets its deadline back.
        assert live.status_code == 422 or open_deadlines() >= 1, (live.status_code, live.get_json()["status"])
