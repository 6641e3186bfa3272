from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The current query string with some parameters replaced (paging, sorting, export)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def portal_url(config, action, obj=None):
    name = config.url_name(action)
    return reverse(name, args=[obj.pk]) if obj is not None else reverse(name)


@register.filter
def field_type(field):
    return field.field.widget.__class__.__name__
