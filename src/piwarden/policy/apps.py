from django.apps import AppConfig


class PolicyConfig(AppConfig):
    name = "piwarden.policy"
    verbose_name = "Privacy policy"
