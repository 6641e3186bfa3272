"""The codes and numbers of the import tests' records (``tests/imports/test_entities.py``): its
``world`` fixture creates the records they name, and the valid rows of every app
(``tests/<app>/import_rows.py``) refer to them. Here so that both read them without importing
each other.

    T   township A (``conftest.township_a``)    V   its village (``conftest.village_a``)
    V2  a second village of township A          P1  a person of village V (``world["person"]``)
    H1  a household head (grid V001, parcel VJC00001)
    CREDIT  an enterprise paired with village V; P2, P3 and CREDIT2 are in no record of ``world``
"""
from tests.factory_helpers import valid_id
from wenshang import imports

P1 = valid_id("37083019900315123")
P2 = valid_id("37083019851122234")
P3 = valid_id("37083019780405345")
H1 = valid_id("37083019720608234")
CREDIT = imports._credit("91370830MA3C12345")
CREDIT2 = imports._credit("91370830MA3C54321")
V, V2, T = "370830104201", "370830104202", "370830104"
