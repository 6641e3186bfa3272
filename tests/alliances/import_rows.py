"""A valid import row of each importable alliances entity, by the entity's plural (collected by
``tests/imports/test_entities.py``; the records they refer to are its ``world`` fixture's)."""
from tests.imports.fixtures_data import CREDIT, CREDIT2, V2, T, V

ROWS = {
    "member-units": [{"单位名称": "东石楼村党支部", "类型": "村", "镇街代码": T, "村代码": V, "党组织书记": "李四",
                      "联系电话": "13900000002", "党员人数": "30"}],
    "enterprises": [{"企业名称": "新企业", "统一社会信用代码": CREDIT2, "镇街代码": T, "成立日期": "2020年1月1日"}],
    "pairings": [{"企业统一社会信用代码": CREDIT, "村代码": V2, "联结模式": "党建联建", "实践途径": "组织共建", "状态": "联建中",
                  "开始日期": "2023-01-01"}],
}
