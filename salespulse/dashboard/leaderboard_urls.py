"""The leaderboard's address, included from the project's urls under dashboard/."""

from django.urls import path

from salespulse.dashboard.leaderboard_views import leaderboard

urlpatterns = [path("<slug:code>/leaderboard/", leaderboard, name="leaderboard")]
