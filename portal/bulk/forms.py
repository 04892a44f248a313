"""Flask-WTF forms of the bulk upload pages: they carry CSRF and the raw input; the rules (file
format, attestation, one-time rule) live in portal.core.bulk and the bulk services."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import InputRequired

ACCEPT = ".csv,.json,text/csv,application/json"


class UploadForm(FlaskForm):
    file = FileField("Bulk file (CSV or JSON)")


class AttestForm(FlaskForm):
    # The service checks the values and names the field it refuses; the form carries them.
    attest = BooleanField("I attest")
    attest_name = StringField("Your full name")
    attest_title = StringField("Your title (job role)")


class AllowForm(FlaskForm):
    organisation_id = IntegerField("RSP", validators=[InputRequired()])
    note = StringField("Note (optional)")
