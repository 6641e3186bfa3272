"""What the global search finds in the alliances app (``wenshang.web.search`` finds this module)."""
from wenshang.kernel.searchable import Searchable, register

from .models import Alliance, Enterprise

register(
    Searchable("enterprise", Enterprise, order=30, code="credit_code", detail="industry"),
    Searchable("alliance", Alliance, order=40, detail="industry"),
)
