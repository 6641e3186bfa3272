from .fixtures import reports_dir, survey  # noqa: F401 - fixtures of every report test
