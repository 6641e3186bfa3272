"""URL patterns of one part of the kernel, included from ``wenshang.urls``."""
urlpatterns = []
