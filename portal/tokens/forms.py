"""Flask-WTF forms of the API tokens page."""

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=100)])


class RevokeForm(FlaskForm):
    pass
