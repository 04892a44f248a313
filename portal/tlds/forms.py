"""Flask-WTF forms: they parse and carry CSRF; the rules live in portal.core.validation."""

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional


class VersionedForm(FlaskForm):
    """HTMX requests send the page's current version (#tld-version, kept up to date out of
    band); a plain form post without JavaScript sends the version the form was rendered with."""

    version = IntegerField("version", validators=[Optional()])
    form_version = IntegerField("form_version", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:  # type: ignore[override]
        if not super().validate(extra_validators):
            return False
        return self.expected_version() is not None

    def expected_version(self) -> int | None:
        return self.version.data if self.version.data is not None else self.form_version.data


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
