"""What the global search finds in the villages app (``wenshang.web.search`` finds this module)."""
from wenshang.kernel.searchable import Searchable, register

from .models import Project, Village

register(
    Searchable("village", Village, order=10, code="code"),
    Searchable("project", Project, order=50),
)
