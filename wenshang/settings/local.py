"""Local development: ``make run``. Embedded defaults, debug on unless told otherwise."""
from wenshang.settings.base import *
from wenshang.settings.env import env

DEBUG = env.bool("DEBUG", default=True)

# No collectstatic outside production: whitenoise serves from the finders.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
