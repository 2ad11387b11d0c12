"""Who sees whom: salespulse.org.access, role by role."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from salespulse.org import access
from salespulse.org.models import Employee
from tests.factories import (
    make_admin,
    make_department,
    make_director,
    make_head,
    make_seller,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    """Two departments of two sellers each, one head each, a director and an admin."""
    north = make_department("north", "Север")
    south = make_department("south", "Юг")
    east = make_department("east", "Восток")  # no sellers, no head
    people = {
        "north": north,
        "south": south,
        "east": east,
        "ann": make_seller("ann", north),
        "bob": make_seller("bob", north, "cold_caller"),
        "cat": make_seller("cat", south, "account_manager"),
        "dan": make_seller("dan", south),
        "head_n": make_head("head_n", [north]),
        "head_s": make_head("head_s", [south]),
        "director": make_director("director"),
        "admin": make_admin("admin"),
    }
    return people


def logins(sellers) -> set[str]:
    return {s.user.username for s in sellers}


def codes(departments) -> set[str]:
    return {d.code for d in departments}


ALL_SELLERS = {"ann", "bob", "cat", "dan"}
ALL_DEPARTMENTS = {"north", "south", "east"}


def test_seller_sees_only_self(org):
    ann = org["ann"].user
    assert logins(access.visible_sellers(ann)) == {"ann"}
    assert codes(access.visible_departments(ann)) == set()
    assert access.get_seller_or_404(ann, "ann") == org["ann"]
    for other in ("bob", "cat", "dan"):
        with pytest.raises(Http404):
            access.get_seller_or_404(ann, other)
    # Not even the department the seller works in.
    with pytest.raises(Http404):
        access.get_department_or_404(ann, "north")
    assert not access.sees_everything(ann)


def test_seller_cannot_manage_own_department(org):
    assert not access.can_manage(org["ann"].user, org["north"])


def test_head_sees_their_department_only(org):
    head = org["head_n"]
    assert logins(access.visible_sellers(head)) == {"ann", "bob"}
    assert codes(access.visible_departments(head)) == {"north"}
    assert access.get_seller_or_404(head, "bob") == org["bob"]
    with pytest.raises(Http404):
        access.get_seller_or_404(head, "cat")
    with pytest.raises(Http404):
        access.get_department_or_404(head, "south")
    assert access.can_manage(head, org["north"])
    assert not access.can_manage(head, org["south"])
    assert not access.sees_everything(head)


def test_head_of_several_departments(org):
    both = make_head("head_ns", [org["north"], org["south"]])
    sellers = access.visible_sellers(both)
    assert logins(sellers) == ALL_SELLERS
    # Each seller once, whatever the number of departments the head runs.
    assert sellers.count() == len(ALL_SELLERS)
    assert codes(access.visible_departments(both)) == {"north", "south"}
    assert access.visible_departments(both).count() == 2
    with pytest.raises(Http404):
        access.get_department_or_404(both, "east")


def test_department_with_two_heads(org):
    deputy = make_head("deputy", [org["north"]])
    assert logins(access.visible_sellers(deputy)) == {"ann", "bob"}
    assert logins(access.visible_sellers(org["head_n"])) == {"ann", "bob"}
    assert access.visible_departments(deputy).count() == 1


def test_head_without_departments_sees_nobody(org):
    idle = make_head("idle")
    assert not access.visible_sellers(idle).exists()
    assert not access.visible_departments(idle).exists()


def test_heads_and_directors_are_not_sellers(org):
    # A seller page belongs to sellers; a head's login is not a seller page even for the director.
    with pytest.raises(Http404):
        access.get_seller_or_404(org["director"], "head_n")
    with pytest.raises(Http404):
        access.get_seller_or_404(org["admin"], "director")


def test_seller_who_also_heads_a_department(org):
    # A playing coach: sells in north and heads south.
    coach = make_seller("coach", org["north"])
    org["south"].heads.add(coach.user)
    assert logins(access.visible_sellers(coach.user)) == {"coach", "cat", "dan"}
    assert access.visible_sellers(coach.user).count() == 3
    assert codes(access.visible_departments(coach.user)) == {"south"}
    assert access.can_manage(coach.user, org["south"])
    assert not access.can_manage(coach.user, org["north"])
    with pytest.raises(Http404):
        access.get_seller_or_404(coach.user, "ann")


def test_director_sees_everything(org):
    director = org["director"]
    assert access.sees_everything(director)
    assert logins(access.visible_sellers(director)) == ALL_SELLERS
    assert codes(access.visible_departments(director)) == ALL_DEPARTMENTS
    assert access.can_manage(director, org["east"])
    assert access.get_seller_or_404(director, "cat") == org["cat"]


def test_admin_sees_everything(org):
    admin = org["admin"]
    assert access.employee_of(admin) is None
    assert access.sees_everything(admin)
    assert logins(access.visible_sellers(admin)) == ALL_SELLERS
    assert codes(access.visible_departments(admin)) == ALL_DEPARTMENTS
    assert access.can_manage(admin, org["south"])


def test_staff_without_superuser_sees_nothing_extra(org):
    # is_staff opens the admin (subject to permissions), not other people's figures.
    clerk = make_user("clerk", is_staff=True)
    assert not access.sees_everything(clerk)
    assert not access.visible_sellers(clerk).exists()
    assert not access.visible_departments(clerk).exists()


def test_user_without_employee_profile_sees_nothing(org):
    stranger = make_user("stranger")
    assert access.employee_of(stranger) is None
    assert not access.visible_sellers(stranger).exists()
    assert not access.visible_departments(stranger).exists()
    assert not access.can_manage(stranger, org["north"])


def test_anonymous_sees_nothing(org):
    anon = AnonymousUser()
    assert access.employee_of(anon) is None
    assert not access.sees_everything(anon)
    assert not access.visible_sellers(anon).exists()
    assert not access.visible_departments(anon).exists()
    assert not access.can_manage(anon, org["north"])
    with pytest.raises(Http404):
        access.get_seller_or_404(anon, "ann")
    with pytest.raises(Http404):
        access.get_department_or_404(anon, "north")


def test_unknown_login_and_code_are_404_for_everyone(org):
    with pytest.raises(Http404):
        access.get_seller_or_404(org["admin"], "nobody")
    with pytest.raises(Http404):
        access.get_department_or_404(org["admin"], "nowhere")


def test_seller_moved_to_another_department_moves_with_visibility(org):
    dan = org["dan"]
    dan.department = org["north"]
    dan.save()
    assert logins(access.visible_sellers(org["head_n"])) == {"ann", "bob", "dan"}
    assert logins(access.visible_sellers(org["head_s"])) == {"cat"}


def test_removing_a_head_revokes_access(org):
    org["north"].heads.remove(org["head_n"])
    assert not access.visible_sellers(org["head_n"]).exists()
    with pytest.raises(Http404):
        access.get_seller_or_404(org["head_n"], "ann")


def test_demoted_director_loses_the_company_view(org):
    employee = Employee.objects.get(user=org["director"])
    employee.position = Employee.Position.HEAD
    employee.save()
    org["director"].refresh_from_db()
    assert not access.sees_everything(org["director"])
    assert not access.visible_sellers(org["director"]).exists()


def test_may_import_is_for_staff_admins_and_integrations_given_the_permission(db):
    from django.contrib.auth.models import Permission

    from salespulse.org.access import may_import
    from tests.factories import make_admin, make_user

    assert may_import(make_admin("root")) and may_import(make_user("it", is_staff=True))
    hook = make_user("hook")
    assert not may_import(hook) and not may_import(hook, "crm.add_deal")
    hook.user_permissions.add(Permission.objects.get(codename="add_deal"))
    hook = type(hook).objects.get(pk=hook.pk)  # permissions are cached per instance
    assert may_import(hook, "crm.add_deal") and not may_import(hook, "telephony.add_callleg")
    assert not may_import(make_user("gone", is_staff=True, is_active=False))
