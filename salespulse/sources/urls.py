from django.urls import path

from salespulse.sources import hooks, views

urlpatterns = [
    path("", views.sources, name="sources"),
    path("<int:pk>/test/", views.test, name="source-test"),
    path("<int:pk>/sync/", views.sync, name="source-sync"),
    path("runs/<int:pk>/", views.run, name="source-run"),
    path("hooks/<int:pk>/<str:key>/", hooks.hook, name="source-hook"),
]
