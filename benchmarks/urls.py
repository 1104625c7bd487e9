from django.urls import include, path

from tests.urls import urlpatterns as test_urlpatterns

urlpatterns = [*test_urlpatterns, path("social/", include("social_django.urls", namespace="social"))]
