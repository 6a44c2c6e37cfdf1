from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class SignupForm(FlaskForm):
    # Every field is checked by the service (accounts.signup), which answers for all of them at
    # once, as the API does: a validator here would hold the other fields' errors back a round.
    username = StringField(
        "Username",
        description="3 to 30 characters: lowercase letters, digits and underscores.",
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    email = EmailField("Email", render_kw={"autocomplete": "email"})
    display_name = StringField("Display name (optional)")
    password = PasswordField(
        "Password",
        description="At least 10 characters, and not a common password.",
        render_kw={"autocomplete": "new-password"},
    )


class SigninForm(FlaskForm):
    login = StringField("Username or email", validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class SignoutForm(FlaskForm):
    pass


class PasswordResetRequestForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)],
                       description="The address of your DreamDot account.",
                       render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"})


class PasswordResetForm(FlaskForm):
    token = HiddenField()
    password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=256)],
        description="At least 10 characters, and not a common password. Every device and app "
        "signed in to your account is signed out.",
        render_kw={"autocomplete": "new-password"},
    )
