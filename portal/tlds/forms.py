"""Flask-WTF forms: they parse and carry CSRF; the rules live in portal.core.validation and
the configuration service."""

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length


class VersionedForm(FlaskForm):
    """A change to a TLD names the version it was made against (optimistic concurrency).

    Without JavaScript that is the version the form was rendered with; under HTMX, app.js puts
    the page's current version (#tld-version) in its place, so it travels once either way."""

    version = IntegerField("version", validators=[InputRequired()])


class EntryForm(VersionedForm):
    domain_name = StringField("Domain name", validators=[Length(max=1024)])
    roles = SelectMultipleField("Roles", choices=[], validate_choice=False)
    ip_acl = TextAreaField("IP prefixes", validators=[Length(max=200_000)])


class EntryUpdateForm(VersionedForm):
    roles = SelectMultipleField("Roles", choices=[], validate_choice=False)
    ip_acl = TextAreaField("IP prefixes", validators=[Length(max=200_000)])


class RemoveForm(VersionedForm):
    pass


class PasswordForm(VersionedForm):
    kind = HiddenField("account")
    password = PasswordField("New password", validators=[Length(max=512)])
    confirm = PasswordField("Repeat it", validators=[Length(max=512)])


class BasicAclForm(VersionedForm):
    basic_ip_acl = TextAreaField("Basic-auth prefixes", validators=[Length(max=200_000)])


class ScenarioForm(FlaskForm):
    """A preset's name, or a scenario document in JSON (test data: no version)."""

    preset = StringField("Preset")
    scenario = TextAreaField("Scenario")
