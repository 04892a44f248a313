"""Flask-WTF forms of the certificate workbench: they parse the posted fields (CSRF is checked
for every post by CSRFProtect); the rules live in portal.core.certificates and the services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import Field, PasswordField, SelectMultipleField, StringField, TextAreaField

from ..core import certificates as cw


def _upload_or_text(upload: Field, text: Field) -> bytes:
    """A file upload, or the pasted text when no file was chosen."""
    if upload.data is not None:
        return upload.data.read(cw.MAX_UPLOAD_BYTES + 1)
    return (text.data or "").encode()


class GenerateForm(FlaskForm):
    domain_name = StringField(default="")
    extra_sans = StringField(default="")
    key_type = StringField(default=cw.DEFAULT_KEY_TYPE)
    issuer = StringField(default="self")
    # "days", "range" or the name of a validity preset
    validity = StringField(default="days")
    days = StringField()
    not_before = StringField()
    not_after = StringField()
    key_passphrase = PasswordField(default="")
    pkcs12_password = PasswordField(default="")
    tld = StringField(default="")  # the TLD the snippets call


class SignCsrForm(FlaskForm):
    csr_file = FileField()
    csr = TextAreaField(default="")
    days = StringField()

    def csr_bytes(self) -> bytes:
        return _upload_or_text(self.csr_file, self.csr)


class InspectForm(FlaskForm):
    certificate_file = FileField()
    certificate = TextAreaField(default="")

    def certificate_bytes(self) -> bytes:
        return _upload_or_text(self.certificate_file, self.certificate)


class PublishForm(FlaskForm):
    certificate = TextAreaField(default="")
    name = StringField()
    records = SelectMultipleField(choices=[], validate_choice=False)


class NameForm(FlaskForm):
    """The name of the zone lookup and of the zone view a removal returns to."""

    name = StringField(default="")


class DnsCheckForm(FlaskForm):
    name = StringField(default="")
    certificate = TextAreaField()
