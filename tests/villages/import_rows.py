"""A valid import row of each importable villages entity, by the entity's plural (collected by
``tests/imports/test_entities.py``; the records they refer to are its ``world`` fixture's)."""
from tests.imports.fixtures_data import CREDIT, V2, T, V

ROWS = {
    "collective-incomes": [{"村代码": V, "年度": "2023", "集体收入（元）": "500000", "经营性收入（元）": "300000"}],
    "villages": [{"镇街代码": T, "村代码": "370830104250", "村名称": "新建村", "类型": "行政村", "村党组织分类": "强基", "户数": "300",
                  "人口": "900", "面积（平方公里）": "1.5", "脱贫村": "否"}],
    "projects": [{"项目名称": "新项目", "类型": "村企联建项目", "状态": "在建", "牵头镇街代码": T, "服务村代码": f"{V}、{V2}",
                  "联合党委名称": "寅寺镇运河片区联合党委", "联建企业信用代码": CREDIT, "联建村代码": V, "总投资（元）": "100000",
                  "带动就业（人）": "5", "年增收（元）": "20000", "开始日期": "2024-01-01"}],
    "targets": [{"年度": "2024", "指标": "贷款发放额（元）", "村代码": V, "目标值": "300000"},
                {"年度": "2024", "指标": "大调研走访村次", "村代码": V2, "目标值": "4", "备注": "每季度一次"}],
}
