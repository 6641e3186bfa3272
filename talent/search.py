"""What the global search finds in the talent app (``wenshang.web.search`` finds this module).

People are found by name only: their national ID number is never indexed as a code."""
from wenshang.kernel.searchable import Searchable, register

from .models import Person

register(Searchable("person", Person, order=20, detail="village__name"))
