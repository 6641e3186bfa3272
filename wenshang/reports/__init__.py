"""The quarterly grand-survey reports (季度大调研报告): data collected from the records (``data``),
written as a PDF (``pdf``) and an XLSX (``xlsx``) by a Celery task (``tasks``) through ``services``,
with their pages (``views``): the coverage board, the request form, progress, versions, downloads."""
