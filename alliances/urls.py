from . import views

app_name = "alliances"

urlpatterns = []
for _cls in views.ModelViews.__subclasses__():
    if _cls.__module__ == views.__name__:
        urlpatterns += _cls.urls()
