"""``/api/v1/public/rating/``: the person's rating (casework/api/public_rating.py)."""

from django.urls import path

from casework.api.public_rating import PublicRatingView

urlpatterns = [path("", PublicRatingView.as_view(), name="api-public-rating")]
