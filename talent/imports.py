"""The talent app's importable entities (``wenshang.imports`` finds this module): people,
reserve cadres, village secretaries, returnees and training attendance."""
from django.utils.translation import gettext as _

from wenshang.kernel.importable import Field, ImportSpec, Ref, id_number_example, register

from .models import Person, ReserveCadre, Returnee, TrainingAttendance, VillageSecretary

EX_VILLAGE = "370830104201"
EX_TOWNSHIP = "370830104"
EX_PERSON = id_number_example("37083019900315123")


def one_current_secretary(importer, rows):
    """A village has at most one current secretary (no end date), counting those already recorded."""
    current = {}
    ending = {row.pk for row in rows if row.pk is not None and row.obj is not None and row.obj.end_date is not None}
    villages = {row.obj.village_id for row in rows if row.obj is not None and row.obj.end_date is None and row.obj.village_id}
    recorded = {}
    for pk, village_id, name in VillageSecretary._base_manager.filter(village_id__in=villages, end_date__isnull=True).values_list(
        "pk", "village_id", "person__name"
    ):
        if pk not in ending:
            recorded.setdefault(village_id, []).append((pk, name))
    column = importer.spec.field_columns["end_date"]
    for row in rows:
        obj = row.obj
        if obj is None or row.bad or obj.end_date is not None or not obj.village_id:
            continue
        others = [name for pk, name in recorded.get(obj.village_id, []) if pk != row.pk]
        if others:
            importer.row_problem(row, column, _("%(village)s already has a current secretary (%(name)s): enter the end date of that term first.") % {
                "village": obj.village, "name": others[0]}, "current_secretary")
        elif obj.village_id in current:
            importer.row_problem(row, column, _("Rows %(first)d and %(row)d are both the current secretary of %(village)s.") % {
                "first": current[obj.village_id], "row": row.number, "village": obj.village}, "current_secretary")
        else:
            current[obj.village_id] = row.number


register(
    ImportSpec("people", Person, ("id_number",), [
        Field("name"),
        Field("id_number", "身份证号码", required=True),
        Field("phone"),
        Ref("township", "镇街代码", "code"),
        Ref("village", "村代码", "code", required=False),
        Field("education"),
        Field("is_party_member"),
        Field("workplace"),
    ], derived=("gender", "birth_date"),
        examples={"name": "吴示例", "id_number": EX_PERSON, "phone": "13600000000", "township": EX_TOWNSHIP,
                  "village": EX_VILLAGE, "education": "本科", "is_party_member": "是", "workplace": "示例村村委会"}),
    ImportSpec("reserve-cadres", ReserveCadre, ("person", "village"), [
        Ref("person", "身份证号码", "id_number"),
        Ref("village", "村代码", "code"),
        Field("mentor"),
        Field("since"),
        Field("status"),
        Field("appointed_on"),
    ], examples={"person": EX_PERSON, "village": EX_VILLAGE, "mentor": "郑示例", "since": "2024-03-05", "status": "培养中",
                 "appointed_on": ""}),
    ImportSpec("village-secretaries", VillageSecretary, ("person", "village", "start_date"), [
        Ref("person", "身份证号码", "id_number"),
        Ref("village", "村代码", "code"),
        Field("start_date", "任职日期"),
        Field("end_date", "离任日期"),
        Field("is_also_director"),
    ], checks=(one_current_secretary,),
        examples={"person": EX_PERSON, "village": EX_VILLAGE, "start_date": "2024-03-05", "end_date": "",
                  "is_also_director": "是"}),
    ImportSpec("returnees", Returnee, ("person", "returned_on"), [
        Ref("person", "身份证号码", "id_number"),
        Ref("station", "回引工作站", "name", required=False),
        Field("returned_on"),
        Field("from_city"),
        Field("previous_occupation"),
        Field("role"),
    ], examples={"person": EX_PERSON, "station": "", "returned_on": "2024-03-05", "from_city": "济南",
                 "previous_occupation": "电商运营", "role": "返乡创业"}),
    ImportSpec("training-attendance", TrainingAttendance, ("training", "person"), [
        Ref("training", "培训名称", "name"),
        Ref("person", "身份证号码", "id_number"),
        Field("completed"),
        Field("certificate_no", "结业证书编号"),
    ], examples={"training": "（示例）2024年高素质农民培训班", "person": EX_PERSON, "completed": "是", "certificate_no": ""}),
)
