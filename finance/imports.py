"""The finance app's importable entities (``wenshang.imports`` finds this module): loans,
homesteads and land transactions."""

from wenshang.kernel.importable import Field, ImportSpec, Ref, id_number_example, register

from .models import Homestead, LandTransaction, Loan

EX_VILLAGE = "370830104201"
EX_TOWNSHIP = "370830104"
EX_PERSON = id_number_example("37083019900315123")
EX_HEAD = id_number_example("37083019720608234")

register(
    ImportSpec("loans", Loan, ("kind", "bank", "borrower_name", "borrower_id_number", "granted_on"), [
        Field("kind", "贷款类型"),
        Field("bank"),
        Field("contract_number"),
        Field("borrower_name"),
        Field("borrower_id_number"),
        Field("borrower_phone"),
        Ref("township", "镇街代码", "code"),
        Ref("village", "村代码", "code", required=False),
        Ref("project", ["镇街代码", "项目名称"], ["township__code", "name"], required=False),
        Ref("homestead", "抵押宗地代码", "parcel_code", required=False, select=("village",)),
        Field("amount", required=True),
        Field("annual_rate"),
        Field("term_months"),
        Field("granted_on"),
        Field("due_on"),
        Field("status"),
        Field("interest_subsidy"),
        Field("risk_compensation"),
    ], examples={"kind": "创业担保贷款", "bank": "汶上县农村商业银行", "contract_number": "WSNS-2024-000123", "borrower_name": "孙示例", "borrower_id_number": EX_PERSON,
                 "borrower_phone": "13700000000", "township": EX_TOWNSHIP, "village": EX_VILLAGE, "amount": "200000",
                 "annual_rate": "3.85", "term_months": "24", "granted_on": "2024-03-05", "due_on": "2026-03-04",
                 "status": "已发放", "interest_subsidy": "4000", "risk_compensation": "0"},
        key_help="贷款类型、银行、借款人、借款人身份证号码、放款日期"),
    ImportSpec("homesteads", Homestead, ("parcel_code",), [
        Ref("village", "村代码", "code"),
        Field("parcel_code"),
        Field("certificate_no", "不动产权证书号"),
        Field("holder_name"),
        Field("holder_id_number"),
        Field("area"),
        Field("use"),
        Field("built_year"),
        Field("latitude"),
        Field("longitude"),
        Field("surveyed_on"),
    ], examples={"village": EX_VILLAGE, "parcel_code": EX_VILLAGE + "JC99999",
                 "certificate_no": "鲁（2021）汶上县不动产权第0099999号", "holder_name": "周示例", "holder_id_number": EX_HEAD,
                 "area": "186.50", "use": "自住", "built_year": "1998", "latitude": "35.741200",
                 "longitude": "116.521300", "surveyed_on": "2024-03-05"}),
    ImportSpec("land-transactions", LandTransaction, ("contract_no",), [
        Ref("village", "村代码", "code"),
        Field("contract_no"),
        Field("date"),
        Field("area_mu"),
        Field("price", required=True),
        Field("buyer"),
        Field("use"),
        Field("term_years"),
    ], examples={"village": EX_VILLAGE, "contract_no": "汶集建入市〔2024〕999号", "date": "2024-03-05", "area_mu": "12.5",
                 "price": "1500000", "buyer": "汶上县示例农业有限公司", "use": "工业", "term_years": "50"}),
)
