"""The alliances' rows of the demo county that the builder does not draw (``wenshang.kernel.demo_rows``)."""
from alliances import models as am

# The county's village-enterprise pairing task force (村企联建专班), the lead unit first.
TASK_FORCE = ["县委组织部", "县农业农村局", "县工业和信息化局", "县商务和投资促进局", "县财政局", "县人力资源和社会保障局",
              "县金融服务中心", "县市场监督管理局", "县文化和旅游局", "县自然资源和规划局", "县工商联", "县供销合作社"]


def rows(county):
    assert len(TASK_FORCE) == county.ti("task_force_units")
    county.save(am.TaskForceUnit, [
        am.TaskForceUnit(name=n, is_lead=i == 0, responsibility="牵头统筹村企联建工作" if i == 0 else "按职责推进村企联建")
        for i, n in enumerate(TASK_FORCE)
    ])
