"""Production settings refuse what cannot work on more than one machine."""

from portal import checks
from tests.accounts.test_production_settings import run_check


def test_production_refuses_private_files_on_local_disk():
    result = run_check(PORTAL_PRIVATE_STORAGE_BACKEND="local")
    assert result.returncode != 0
    assert "Private files are on local disk" in result.stderr


def test_local_private_files_are_allowed_when_the_operator_says_so():
    result = run_check(
        PORTAL_PRIVATE_STORAGE_BACKEND="local", PORTAL_ALLOW_LOCAL_PRIVATE_STORAGE="true")
    assert result.returncode == 0, result.stderr


def test_broker_and_cache_in_one_redis_database_fail_the_deploy_check():
    result = run_check(CACHE_URL="redis://127.0.0.1:6379/0")
    assert result.returncode != 0
    assert "portal.E002" in result.stderr


def test_a_stylesheet_naming_a_missing_file_fails_the_deploy_check(settings, tmp_path):
    # What happened with the vendored Bootstrap: the minified file names its
    # source map, the hashed build cannot find it, every page is a 500.
    (tmp_path / "broken.css").write_text("body{}\n/*# sourceMappingURL=broken.css.map */\n")
    settings.STATICFILES_DIRS = [*settings.STATICFILES_DIRS, str(tmp_path)]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

    errors = checks.static_files_collect()

    assert [error.id for error in errors] == ["portal.E001"]
    assert "broken.css.map" in errors[0].msg


def test_the_shipped_static_files_build_under_the_manifest_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    assert checks.static_files_collect() == []
