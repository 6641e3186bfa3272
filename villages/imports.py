"""The villages app's importable entities (``wenshang.imports`` finds this module): collective
incomes, villages, projects and targets. Examples are keyed by field name."""
from django.utils.translation import gettext_lazy

from wenshang.kernel.importable import Field, ImportSpec, ManyToMany, Ref, public, register

from .models import CollectiveIncome, County, Project, Target, Township, Village

EX_VILLAGE = "370830104201"
EX_TOWNSHIP = "370830104"

public(County, Township, Village)


register(
    ImportSpec("collective-incomes", CollectiveIncome, ("village", "year"), [
        Ref("village", "村代码", "code"),
        Field("year", "年度"),
        Field("amount", "集体收入（元）"),
        Field("operating", "经营性收入（元）"),
    ], examples={"village": EX_VILLAGE, "year": "2024", "amount": "560000", "operating": "320000"}),
    ImportSpec("villages", Village, ("code",), [
        Ref("township", "镇街代码", "code"),
        Field("code", "村代码"),
        Field("name", "村名称"),
        Field("kind"),
        Field("tier"),
        Field("households"),
        Field("population"),
        Field("area"),
        Field("is_relief_village"),
        Field("latitude"),
        Field("longitude"),
    ], examples={"township": EX_TOWNSHIP, "code": "370830104299", "name": "示例村", "kind": "行政村", "tier": "创优",
                 "households": "420", "population": "1350", "area": "2.35", "is_relief_village": "否",
                 "latitude": "35.741200", "longitude": "116.521300"},
        frozen={"tier": gettext_lazy("A village's tier changes with a tier-change record (date, reason, who decided): "
                                     "leave the tier as it is here.")}),
    ImportSpec("projects", Project, ("township", "name"), [
        Field("name", "项目名称"),
        Field("kind"),
        Field("status"),
        Ref("township", "牵头镇街代码", "code"),
        ManyToMany("villages", "服务村代码", "code"),
        Ref("joint_committee", "联合党委名称", "name", required=False),
        Ref("pairing", ["联建企业信用代码", "联建村代码"], ["enterprise__credit_code", "village__code"], required=False),
        Ref("first_secretary", ["第一书记身份证号码", "第一书记批次年度"], ["person__id_number", "batch__year"], required=False),
        Ref("partner", "合伙人身份证号码", "person__id_number", required=False),
        Field("investment"),
        Field("jobs"),
        Field("income_added"),
        Field("start_date"),
        Field("end_date"),
        Field("description"),
    ], examples={"name": "示例村果蔬大棚项目", "kind": "其他项目", "status": "在建", "township": EX_TOWNSHIP,
                 "villages": EX_VILLAGE, "investment": "1200000", "jobs": "15", "income_added": "80000",
                 "start_date": "2024-03-05", "description": "建设冬暖式大棚10个"}),
    ImportSpec("targets", Target, ("year", "indicator", "village"), [
        Field("year"),
        Field("indicator"),
        Ref("village", "村代码", "code", required=True),
        Field("value"),
        Field("note"),
    ], derived=("township",), notes=gettext_lazy(
        "One row per village and indicator: the villages' targets of a year. The township's own and the county's "
        "targets are set on the targets page."),
        examples={"year": "2024", "indicator": "贷款发放额（元）", "village": EX_VILLAGE, "value": "300000", "note": "（示例）"}),
)
