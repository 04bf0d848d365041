from oauth2_provider.oauth2_validators import OAuth2Validator


class PlatformClaims(OAuth2Validator):
    """The platform's own claims: its account id, a name and an email.

    The username of a provider user is its platform account id.
    """

    oidc_claim_scope = None  # every claim whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        return {
            "platform_account_id": user.username,
            "name": user.first_name,
            "email": user.email,
            "locale": "en",
        }
