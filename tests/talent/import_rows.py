"""A valid import row of each importable talent entity, by the entity's plural (collected by
``tests/imports/test_entities.py``; the records they refer to are its ``world`` fixture's)."""
from tests.imports.fixtures_data import P1, P3, T, V

ROWS = {
    "people": [{"姓名": "新人", "身份证号码": P3, "镇街代码": T, "村代码": V, "学历": "本科", "中共党员": "是"}],
    "reserve-cadres": [{"身份证号码": P1, "村代码": V, "培养联系人": "郑书记", "纳入储备日期": "2023-05-01", "状态": "培养中"}],
    "village-secretaries": [{"身份证号码": P1, "村代码": V, "任职日期": "2021-01-01", "书记、主任“一肩挑”": "是"}],
    "returnees": [{"身份证号码": P1, "回引工作站": "济南回引工作站", "返乡日期": "2022-02-02", "返乡前所在城市": "济南",
                   "返乡去向": "返乡创业"}],
    "training-attendance": [{"培训名称": "2024年高素质农民培训班", "身份证号码": P1, "已结业": "是"}],
}
