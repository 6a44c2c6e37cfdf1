from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[DataRequired(), Length(max=500)],
                         description="Written to the audit log.")


class NoteForm(FlaskForm):
    note = StringField("Note (optional)", validators=[Optional(), Length(max=500)])
