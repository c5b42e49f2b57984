"""``/api/v1/public/rating/``: the person's rating (casework/api/public_rating.py), open without a role
(``public_endpoint`` on the view callable, which the middleware and the system check read)."""

from django.urls import path

from casework.api.public_rating import PublicRatingView
from hallplatform.accounts.access import public_endpoint

urlpatterns = [path("", public_endpoint(PublicRatingView.as_view()), name="api-public-rating")]
