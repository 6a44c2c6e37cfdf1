from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length


class ProfileForm(FlaskForm):
    display_name = StringField("Display name", validators=[Length(max=50)])
    bio = TextAreaField("Bio", validators=[Length(max=500)], description="At most 500 characters.",
                        render_kw={"rows": 4, "maxlength": 500})
    avatar = FileField("Avatar", description="JPEG, PNG, WebP or GIF, at most 5 MB. Cropped square.",
                       render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"})
    remove_avatar = BooleanField("Remove my avatar")
    banner = FileField("Banner", description="JPEG, PNG, WebP or GIF, at most 5 MB. Cropped to 3:1.",
                       render_kw={"accept": "image/jpeg,image/png,image/webp,image/gif"})
    remove_banner = BooleanField("Remove my banner")


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=256)],
        description="At least 10 characters, and not a common password. Every other device "
        "and API token is signed out.",
        render_kw={"autocomplete": "new-password"},
    )


class EmailChangeForm(FlaskForm):
    email = EmailField("New email address", validators=[DataRequired(), Length(max=254)],
                       description="We send a link there; your address changes when you open it.",
                       render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})
    current_password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)],
                                     render_kw={"autocomplete": "current-password"})


class EmailConfirmForm(FlaskForm):
    token = HiddenField()
