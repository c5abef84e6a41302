"""The catalog category of each text column of this app (``None``: holds no PI).

Read by the one column -> category map, ``piwarden.catalog.columns``.
"""

COLUMNS = {
    "accounts.StaffSecondFactor.sealed": "user.credentials.security_info",
    "accounts.StaffSecondFactor.wrapped_key": None,
    "accounts.Account.user_name": 'user.account.username',
    "accounts.Account.avatar": 'user.account.avatar',
    "accounts.Account.id_type": 'user.id_info',
    "accounts.VerificationCode.channel": None,
    "accounts.VerificationCode.target_digest": 'user.contact',
    "accounts.VerificationCode.digest": 'user.credentials.verification_code',
    "accounts.ThrottleEvent.scope": None,
    "accounts.ThrottleEvent.key": 'user.log.ip_address',
    "accounts.AccountSession.session_key": 'user.online_id.cookie',
    "accounts.RecoveryCode.digest": 'user.credentials.security_info',
    "accounts.AccessToken.name": None,
    "accounts.AccessToken.prefix": None,
    "accounts.AccessToken.digest": 'user.credentials.security_info',
    "accounts.ProfileChange.field": 'user.log.usage',
    "accounts.ProfileChange.channel": 'user.log.usage',
    "accounts.ServiceActivation.service": 'user.log.usage',
    "accounts.GuardianRequest.service": 'user.minor',
    "accounts.GuardianRequest.id_type": 'user.minor',
    "accounts.GuardianRequest.id_digest": 'user.minor',
    "accounts.GuardianRequest.token_prefix": None,
    "accounts.GuardianRequest.token_digest": None,
    "accounts.GuardianRequest.status": None,
}

# Form fields and API inputs of this app that are neither a column nor a vault field.
INPUTS = {
    "city": "user.address",
    "district": "user.address",
    "postcode": "user.address",
    "province": "user.address",
    "street": "user.address",
    "file": "user.account.avatar",
    "code": "user.credentials.verification_code",
    "otp": "user.credentials.verification_code",
    "consent": "user.consent",
    "guardian_email": "user.contact.email",
    "identifier": "user.contact",
    "password": "user.credentials.password",
    "current_password": "user.credentials.password",
    "new_password": "user.credentials.password",
    "new_value": "user.contact",
    "value": "user",
    "token_id": None,
    "token": "user.credentials.security_info",
}
