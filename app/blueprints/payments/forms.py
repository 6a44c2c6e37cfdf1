from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.services.payments.history import KINDS


def to_cents(text: str | None) -> int | None:
    """"25", "25.5" or "25.50" dollars to cents; None for anything else (negative, 3 decimals)."""
    try:
        value = Decimal((text or "").strip().lstrip("$").replace(",", ""))
        # quantize raises too, for a number past the context's 28 digits
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
            return None
    except InvalidOperation:
        return None
    return int(value * 100)


def _dollars(form, field):
    if to_cents(field.data) is None:
        raise ValidationError("An amount in dollars, like 25 or 25.50.")


class AmountForm(FlaskForm):
    amount = StringField("Amount (USD)", validators=[DataRequired(), Length(max=20), _dollars],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})

    @property
    def cents(self) -> int:
        return to_cents(self.amount.data)


class TopUpForm(AmountForm):
    pass


class RedeemForm(AmountForm):
    pass


class ActionForm(FlaskForm):
    """Buttons that only post (subscribe, refund, approve): the CSRF token is the form."""


class PurchaseForm(FlaskForm):
    expected_price_cents = HiddenField()


class SubscribeForm(FlaskForm):
    expected_price_cents = HiddenField()


class RefundRequestForm(FlaskForm):
    reason = TextAreaField("Why are you asking? (the creator reads this)", validators=[Optional(), Length(max=1000)],
                           render_kw={"rows": 3, "maxlength": 1000})


class DeclineForm(FlaskForm):
    answer = TextAreaField("A word for the buyer (optional)", validators=[Optional(), Length(max=500)],
                           render_kw={"rows": 2, "maxlength": 500})


class RejectForm(FlaskForm):
    reason = StringField("Reason", validators=[Optional(), Length(max=300)])


class HistoryFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField("Kind", choices=[SelectChoice("", "All")] + [SelectChoice(k, k.replace("_", " ")) for k in KINDS],
                       validators=[Optional()])
    date_from = StringField("From", validators=[Optional(), Length(max=10)], render_kw={"type": "date"})
    date_to = StringField("To", validators=[Optional(), Length(max=10)], render_kw={"type": "date"})
