"""The CAPTCHA's picture and audio on a hall's host (hallplatform/captcha.py), open without a login."""

from django.urls import URLPattern, URLResolver, re_path

from hallplatform import captcha

urlpatterns: list[URLPattern | URLResolver] = [
    re_path(r"^image/(?P<key>[0-9a-f]{1,40})/$", captcha.captcha_image, name="captcha-image"),
    re_path(r"^audio/(?P<key>[0-9a-f]{1,40})\.wav$", captcha.captcha_audio, name="captcha-audio"),
]
