"""Flask-WTF forms: they parse and carry CSRF; the rules live in portal.core.validation and
the configuration service."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
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


class ConnectionForm(FlaskForm):
    """A test call: the entry expected to match, the endpoint, the source address, and the
    credential (one remembered for this browser session, or a certificate and key uploaded or
    pasted for this call only). The choices are checked by the view against what it offers."""

    entry = StringField("Entry you expect to match")
    endpoint = StringField("Endpoint")
    source = StringField("Source address")
    credential = StringField("Credential")
    cert_file = FileField("Certificate file")
    cert_text = TextAreaField("Certificate PEM")
    key_file = FileField("Private key file")
    key_text = TextAreaField("Private key PEM")
    passphrase = PasswordField("Key passphrase", validators=[Length(max=1024)])

    @staticmethod
    def _read(upload: FileField, text: TextAreaField, limit: int) -> tuple[bytes, str | None]:
        """The upload's first `limit` + 1 bytes (enough to tell it is too large) and its file
        name, or the pasted text."""
        if upload.data is not None and getattr(upload.data, "filename", ""):
            return upload.data.read(limit + 1), upload.data.filename
        return (text.data or "").encode(), None

    def certificate(self, limit: int) -> tuple[bytes, str | None]:
        return self._read(self.cert_file, self.cert_text, limit)

    def key(self, limit: int) -> tuple[bytes, str | None]:
        return self._read(self.key_file, self.key_text, limit)


class SimulatorForm(FlaskForm):
    """A question to the policy simulator: the client's certificate (pasted or a file) or only
    its key's SHA-256, the source address and the endpoint (`<system> <rule>`, from the list the
    tab offers). The service checks each value and names the field it refuses."""

    certificate = TextAreaField("Certificate (PEM)", validators=[Length(max=200_000)])
    certificate_file = FileField("Certificate file")
    spki_sha256 = StringField("SHA-256 of the public key", validators=[Length(max=200)])
    source_address = StringField("Source address", validators=[Length(max=100)])
    endpoint = StringField("Endpoint", validators=[Length(max=400)])

    def certificate_bytes(self, limit: int) -> bytes:
        """The uploaded file's first `limit` + 1 bytes (enough to tell it is too large), or the
        pasted text."""
        upload = self.certificate_file.data
        if upload is not None and getattr(upload, "filename", ""):
            return upload.read(limit + 1)
        return (self.certificate.data or "").encode()


class AccessPreviewForm(FlaskForm):
    """An entry as typed so far (add or edit), to show whose access a save would change."""

    domain_name = StringField("Domain name", validators=[Length(max=1024)])
    roles = SelectMultipleField("Roles", choices=[], validate_choice=False)
    ip_acl = TextAreaField("IP prefixes", validators=[Length(max=200_000)])
