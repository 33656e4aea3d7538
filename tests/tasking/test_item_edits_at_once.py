"""Two people recording one tasking item's discussion at once: the second save is refused (409), not
written over the first (``ReadVersionMixin``; the Case Review pages' siblings are walked in
``tests/community_triggers/test_edits_at_once.py``)."""

from __future__ import annotations

from casework.extensions import db
from tests.community_triggers.test_edits_at_once import form_fields
from tests.support.walk import changed_tables, table_digest
from tests.tasking.test_tasking import _frozen_day, _item, setting  # noqa: F401


def test_a_discussion_saved_over_one_saved_since_the_page_was_read_is_refused(world, setting, page_client):  # noqa: F811
    item = _item(setting.meeting, setting.high)
    path = f"/tasking/items/{item.id}"
    first, second = page_client(world.coordinator), page_client(world.coordinator)
    first_form = form_fields(first.get(path).get_data(as_text=True), "discussion")
    second_form = form_fields(second.get(path).get_data(as_text=True), "discussion")
    assert "version" in first_form

    assert first.post(path, data={**first_form, "discussion": "Youths gather nightly"}).status_code == 302
    db.session.expire_all()
    before = table_digest()
    refused = second.post(path, data={**second_form, "discussion": "Quiet since the summer"})

    assert refused.status_code == 409
    assert "changed since you read it" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert [t for t in changed_tables(before, table_digest()) if not t.startswith(("audit_", "submission_keys"))] == []
    db.session.refresh(item)
    assert item.discussion == "Youths gather nightly"
