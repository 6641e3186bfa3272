"""Local development: ``make run``. Embedded defaults, debug on unless told otherwise."""
from .base import *
from .base import env

DEBUG = env.bool("DEBUG", default=True)
