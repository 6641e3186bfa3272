"""``{% load formats %}``: the amount rules of ``wenshang.kernel.formats`` as template filters."""
from django import template

from wenshang.kernel import formats

register = template.Library()


@register.filter
def money(value):
    """``{{ value|money }}``: 9,800.00元 · 102.10万元 · 3.71亿元."""
    return formats.money(value)


@register.filter
def area(value, unit="mu"):
    """``{{ value|area:"m2" }}``: 1,221.42亩 · 12,345.60 m²."""
    return formats.area(value, unit)


@register.filter
def number(value):
    """``{{ value|number }}``: 199,900."""
    return formats.number(value)
