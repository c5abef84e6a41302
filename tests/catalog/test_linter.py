"""The collection linter (V-5.1a): a form field or API input outside the catalog fails."""

from django import forms
from ninja import Schema

from piwarden.catalog import linter


class UncataloguedForm(forms.Form):
    email = forms.EmailField()             # a vault field: user.contact.email
    message = forms.CharField()            # leads declares it: inquiry.message
    wechat_id = forms.CharField()          # in no catalog map


class Inner(Schema):
    wechat_id: str


class Outer(Schema):
    lang: str
    items: list[Inner]


def test_v_5_1a_form_field_without_category_fails_the_linter():
    """A form holding a field no catalog category covers is reported, and only that field."""
    assert linter.lint_form(UncataloguedForm, "leads") == ["leads.UncataloguedForm.wechat_id"]


def test_v_5_1a_nested_api_property_without_category_fails_the_linter():
    assert linter.lint_schema(Outer, "leads") == ["leads Inner.wechat_id"]


def test_v_5_1a_every_collection_form_and_api_input_is_catalogued():
    """The build check: every form of ``<app>/forms.py`` and every input of the API."""
    assert linter.collection_forms()  # the walk finds the forms at all
    assert linter.lint() == []
