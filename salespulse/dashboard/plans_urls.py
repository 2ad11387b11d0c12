"""The plans page, absences and the team, included from the project's urls under departments/."""

from django.urls import path

from salespulse.dashboard import plans_views, team_views

urlpatterns = [
    path("<slug:code>/plans/", plans_views.plans, name="plans"),
    path("<slug:code>/absences/", plans_views.add_absence, name="absence-add"),
    path(
        "<slug:code>/absences/<int:pk>/delete/", plans_views.delete_absence, name="absence-delete"
    ),
    path("<slug:code>/team/", team_views.team_page, name="team"),
    path("<slug:code>/team/<str:login>/left/", team_views.mark_left, name="team-left"),
]
