"""A valid import row of each importable grids entity, by the entity's plural (collected by
``tests/imports/test_entities.py``; the records they refer to are its ``world`` fixture's)."""
from tests.imports.fixtures_data import H1, V

ROWS = {
    "grids": [{"村代码": V, "网格编码": V + "002", "网格名称": "第二网格", "户数": "100", "人口": "300"}],
    "grid-workers": [{"网格编码": V + "001", "姓名": "王五", "角色": "街巷长", "手机号码": "13800000001", "街巷": "幸福街",
                      "开始日期": "2024/1/2"}],
    "credit-records": [{"户主身份证号码": H1, "日期": "2024-03-05", "类别": "信用+志愿服务", "分值": "5", "原因": "参加志愿服务活动"}],
}
