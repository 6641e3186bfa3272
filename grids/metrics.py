"""The grids app's figures (see ``wenshang.web.figures``): grids, events, credit records, lectures."""
from wenshang.web.figures import Metric

METRICS = [
    Metric("grids", "grids.Grid", township_path="village__township", village_path="village", plural="grids"),
    # the quarterly report
    Metric("grid_events_reported", "grids.GridEvent", date="reported_at__date", township_path="grid__village__township",
           village_path="grid__village"),
    Metric("grid_events_closed", "grids.GridEvent", date="closed_at__date", township_path="grid__village__township",
           village_path="grid__village"),
    Metric("credit_records", "grids.CreditRecord", date="date", township_path="household__grid__village__township",
           village_path="household__grid__village"),
    Metric("lectures", "grids.LectureSession", date="date", township_path="hall__village__township",
           village_path="hall__village"),
    Metric("lecture_attendance", "grids.LectureSession", agg="sum:attendance", date="date",
           township_path="hall__village__township", village_path="hall__village"),
]
