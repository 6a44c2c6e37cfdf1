from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length


class ReportForm(FlaskForm):
    target_type = HiddenField()
    target_id = HiddenField()
    reason = TextAreaField("What is wrong?", validators=[DataRequired(), Length(min=3, max=1000)],
                           description="3 to 1,000 characters. Operators read every report.",
                           render_kw={"rows": 4, "maxlength": 1000})
