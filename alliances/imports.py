"""The alliances app's importable entities (``wenshang.imports`` finds this module): member
units, enterprises and pairings."""

from wenshang.kernel.importable import Field, ImportSpec, Ref, credit_code_example, register

from .models import Enterprise, MemberUnit, Pairing

EX_VILLAGE = "370830104201"
EX_TOWNSHIP = "370830104"
EX_CREDIT = credit_code_example("91370830MA3C12345")

register(
    ImportSpec("member-units", MemberUnit, ("name",), [
        Field("name", "单位名称"),
        Field("kind"),
        Ref("township", "镇街代码", "code", required=False),
        Ref("village", "村代码", "code", required=False),
        Ref("enterprise", "企业统一社会信用代码", "credit_code", required=False),
        Field("secretary_name"),
        Field("contact_phone"),
        Field("party_members"),
    ], examples={"name": "寅寺镇示例村党支部", "kind": "村", "township": EX_TOWNSHIP, "village": EX_VILLAGE, "enterprise": "",
                 "secretary_name": "李示例", "contact_phone": "13900000000", "party_members": "32"}),
    ImportSpec("enterprises", Enterprise, ("credit_code",), [
        Field("name", "企业名称"),
        Field("credit_code"),
        Ref("township", "镇街代码", "code", required=False),
        Field("industry"),
        Field("legal_representative"),
        Field("address"),
        Field("established_on"),
    ], examples={"name": "汶上县示例农业有限公司", "credit_code": EX_CREDIT, "township": EX_TOWNSHIP, "industry": "农产品加工",
                 "legal_representative": "赵示例", "address": "寅寺镇幸福路1号", "established_on": "2018-05-20"}),
    ImportSpec("pairings", Pairing, ("enterprise", "village"), [
        Ref("enterprise", "企业统一社会信用代码", "credit_code"),
        Ref("village", "村代码", "code"),
        Field("mode"),
        Field("path"),
        Field("status"),
        Field("start_date"),
        Field("end_date"),
        Field("agreement"),
    ], examples={"enterprise": EX_CREDIT, "village": EX_VILLAGE, "mode": "项目联动", "path": "特色产业", "status": "联建中",
                 "start_date": "2024-03-05", "end_date": "", "agreement": "签订村企联建协议"}),
)
