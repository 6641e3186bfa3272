"""The grids app's importable entities (``wenshang.imports`` finds this module): grids, grid
workers and credit records."""
from wenshang.kernel.importable import Field, ImportSpec, Ref, id_number_example, public, register

from . import services
from .models import CreditRecord, Grid, GridWorker

EX_VILLAGE = "370830104201"
EX_HEAD = id_number_example("37083019720608234")

public(Grid)


def recount_households(importer, creates, updates):
    """Households' credit totals from their records (``grids.services.credit_records_written``)."""
    services.credit_records_written(creates, updates)


register(
    ImportSpec("grids", Grid, ("code",), [
        Ref("village", "村代码", "code"),
        Field("code", "网格编码"),
        Field("name", "网格名称"),
        Field("households"),
        Field("population"),
    ], examples={"village": EX_VILLAGE, "code": EX_VILLAGE + "099", "name": "第九十九网格", "households": "120",
                 "population": "380"}),
    ImportSpec("grid-workers", GridWorker, ("grid", "name", "role"), [
        Ref("grid", "网格编码", "code"),
        Field("name"),
        Field("role"),
        Field("phone"),
        Field("lane"),
        Field("start_date"),
        Field("end_date"),
    ], examples={"grid": EX_VILLAGE + "001", "name": "王示例", "role": "街巷长", "phone": "13800000000", "lane": "幸福街",
                 "start_date": "2024-03-05", "end_date": ""}),
    ImportSpec("credit-records", CreditRecord, ("household", "date", "category", "reason"), [
        Ref("household", "户主身份证号码", "head_id_number", select=("grid__village",)),
        Field("date"),
        Field("category"),
        Field("points"),
        Field("reason"),
    ], after_write=recount_households,
        examples={"household": EX_HEAD, "date": "2024-03-05", "category": "信用+志愿服务", "points": "5",
                  "reason": "（示例）参加志愿服务活动"}),
)
