"""Flask-WTF forms of the inbox: they parse and carry CSRF."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import Optional


class MarkReadForm(FlaskForm):
    """One message (`id`) or all of them (`all`)."""

    id = IntegerField("message", validators=[Optional()])
    all = BooleanField("all")


class OpenForm(FlaskForm):
    pass
