from .fixtures import reports_dir, survey  # noqa: F401 - fixtures of every report test
from .test_worker import media, redis_broker, start_worker  # noqa: F401 - real workers on a private Redis (test_takeover.py too)
