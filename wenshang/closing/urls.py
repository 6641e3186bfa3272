from django.urls import path

from wenshang.closing import views

app_name = "closing"
urlpatterns = [
    path("", views.board, name="board"),
    path("<int:township>/<int:year>/<int:quarter>/", views.submission, name="submission"),
    path("corrections/", views.corrections, name="corrections"),
    path("corrections/<int:pk>/", views.correction, name="correction"),
    path("todos/", views.todo_list, name="todos"),
    path("todos/count/", views.todo_count, name="todo_count"),
]
