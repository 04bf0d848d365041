"""A real OpenID Connect provider for the tests: django-oauth-toolkit in a tiny
Django project of its own, run in its own process by ``serve`` (see
tests/accounts/test_oidc.py). It plays the host platform's identity provider."""
