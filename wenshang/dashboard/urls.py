from django.urls import path

from wenshang.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("townships/<int:pk>/", views.township, name="township"),
    path("counties/<int:pk>/", views.county, name="county"),
    path("cities/<int:pk>/", views.city, name="city"),
    path("compare/", views.compare, name="compare"),
    path("targets/", views.target_progress, name="targets"),
    path("periods/", views.period_comparison, name="periods"),
    path("map/", views.county_map, name="map"),
    path("map/data/", views.map_data, name="map_data"),
]
