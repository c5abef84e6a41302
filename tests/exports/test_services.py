"""Grade-driven file exports (V-5.1a): approval for sensitive data, a watermark naming the
requester, and an audit record naming everyone in the file."""

import pytest
from django.db import transaction

from piwarden.audit.actors import Actor
from piwarden.audit.models import AuditEvent, AuditSubject
from piwarden.errors import ServiceError
from piwarden.exports import services, sources
from piwarden.exports.models import Status

pytestmark = pytest.mark.django_db

ID_TYPE = {"fields": ["user_name", "id_type"]}  # user.id_info: sensitive, second approver


def _request(user, ids, params=ID_TYPE):
    return services.request_export(actor=Actor.staff(user), user=user,
                                   source="model:accounts.Account",
                                   params={"ids": ids, **params}, reason="Audit by regulator")


def _refused(code, call):
    with pytest.raises(ServiceError) as caught, transaction.atomic():
        call()
    assert caught.value.code == code


def test_v_5_1a_l4_file_export_needs_approval_and_carries_watermark(accounts, staff):
    """An export of an ID type (L4, second approver) waits for two privacy officers other than
    the requester, then the file names the requester in a header line and on every row."""
    alice = staff("alice")
    officer, officer2 = staff("po1", officer=True), staff("po2", officer=True)
    export = _request(alice, [a.pk for a in accounts])
    assert (export.status, export.grade, export.approvals_needed) == \
        (Status.PENDING, "sensitive", 2)
    _refused("NOT_APPROVED", lambda: services.download(actor=Actor.staff(alice), user=alice,
                                                         export=export))
    services.approve(actor=Actor.staff(officer), user=officer, export=export)
    _refused("ALREADY_APPROVED", lambda: services.approve(
        actor=Actor.staff(officer), user=officer, export=export))
    _refused("NOT_APPROVED", lambda: services.download(actor=Actor.staff(alice), user=alice,
                                                         export=export))
    services.approve(actor=Actor.staff(officer2), user=officer2, export=export)

    _refused("NOT_REQUESTER", lambda: services.download(
        actor=Actor.staff(officer), user=officer, export=export))
    name, text = services.download(actor=Actor.staff(alice), user=alice, export=export)
    lines = text.splitlines()
    assert name == f"export-{export.pk}.csv"
    assert lines[0].startswith(f"# piwarden export {export.pk} requested by alice at ")
    assert "China time (Asia/Shanghai)" in lines[0]
    assert lines[1] == "user_name,id_type,watermark"
    assert lines[2:] == [f"p{n},passport,export {export.pk} / alice" for n in range(3)]
    event = AuditEvent.objects.get(action="exports.downloaded", object_id=str(export.pk))
    assert event.categories == ["user.account.username", "user.id_info"]
    assert set(AuditSubject.objects.filter(event=event).values_list("subject_id", flat=True)) \
        == {a.subject_id for a in accounts}
    _refused("NOT_APPROVED", lambda: services.download(actor=Actor.staff(alice), user=alice,
                                                         export=export))


def test_v_5_1a_requester_and_non_officers_cannot_approve(accounts, staff):
    alice = staff("alice", officer=True)
    export = _request(alice, [accounts[0].pk])
    _refused("OWN_EXPORT", lambda: services.approve(actor=Actor.staff(alice), user=alice,
                                                      export=export))
    bob = staff("bob")
    _refused("NOT_PRIVACY_OFFICER", lambda: services.approve(actor=Actor.staff(bob), user=bob,
                                                               export=export))
    officer = staff("po", officer=True)
    services.refuse(actor=Actor.staff(officer), user=officer, export=export)
    export.refresh_from_db()
    assert export.status == Status.REFUSED


def test_v_5_1a_l4_without_second_approver_needs_one_approval(staff):
    sources.register(sources.Source(
        key="test.credentials", categories=lambda params: {"user.credentials.password"},
        build=lambda params: sources.Table(header=["a"], rows=[["=1+1"]])))
    alice, officer = staff("alice"), staff("po", officer=True)
    export = services.request_export(actor=Actor.staff(alice), user=alice,
                                     source="test.credentials", params={}, reason="check")
    assert export.approvals_needed == 1
    services.approve(actor=Actor.staff(officer), user=officer, export=export)
    _, text = services.download(actor=Actor.staff(alice), user=alice, export=export)
    assert text.splitlines()[2] == f"'=1+1,export {export.pk} / alice"  # no formula runs


def test_v_5_1a_lower_grade_export_is_approved_at_once_and_still_watermarked(accounts, staff):
    alice = staff("alice")
    export = _request(alice, [accounts[0].pk], {"fields": ["user_name"]})
    assert (export.status, export.grade) == (Status.APPROVED, "personal")
    _, text = services.download(actor=Actor.staff(alice), user=alice, export=export)
    assert "requested by alice" in text.splitlines()[0]


def test_an_export_needs_a_reason_and_known_columns(accounts, staff):
    alice = staff("alice")
    _refused("REASON_REQUIRED", lambda: services.request_export(
        actor=Actor.staff(alice), user=alice, source="model:accounts.Account",
        params={"ids": [], "fields": ["user_name"]}, reason=" "))
    _refused("UNKNOWN_FIELD", lambda: _request(alice, [], {"fields": ["nope"]}))
    _refused("UNKNOWN_SOURCE", lambda: services.request_export(
        actor=Actor.staff(alice), user=alice, source="model:nope.Nope", params={},
        reason="x"))
