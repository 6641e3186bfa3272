"""Edit forms of every app mask ID and mobile numbers for users who may not see them."""
import datetime as dt

from grids.models import Grid, GridWorker


def test_a_grid_workers_phone_is_masked_in_the_edit_form_and_kept_when_posted_back(client, staff_a, village_a):
    grid = Grid.objects.create(village=village_a, code=f"{village_a.code}001", name="第一网格")
    worker = GridWorker.objects.create(grid=grid, name="林传宝", role="worker", phone="13612345678", start_date=dt.date(2022, 1, 1))
    client.force_login(staff_a)
    form = client.get(f"/grids/grid-workers/{worker.pk}/edit/").context["form"]
    assert form.initial["phone"] == "136****5678"
    data = {"grid": grid.pk, "name": "林传宝", "role": "worker", "phone": "136****5678", "start_date": "2022-01-01", "lane": ""}
    assert client.post(f"/grids/grid-workers/{worker.pk}/edit/", data).status_code == 302
    worker.refresh_from_db()
    assert worker.phone == "13612345678"


def test_a_privileged_user_sees_it_in_full_and_the_view_is_recorded(client, make_user, village_a):
    from wenshang.kernel.models import PersonalDataAccess

    grid = Grid.objects.create(village=village_a, code=f"{village_a.code}001", name="第一网格")
    worker = GridWorker.objects.create(grid=grid, name="林传宝", role="worker", phone="13612345678", start_date=dt.date(2022, 1, 1))
    user = make_user("privacy_officer", role="township", township=village_a.township, sees_personal_data=True)
    client.force_login(user)
    form = client.get(f"/grids/grid-workers/{worker.pk}/edit/").context["form"]
    assert form.initial.get("phone", worker.phone) == "13612345678"
    assert PersonalDataAccess.objects.filter(user=user, context="form:gridworker").exists()
