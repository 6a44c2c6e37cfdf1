from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

IMAGE_TYPES = {"accept": "image/jpeg,image/png,image/webp,image/gif"}


class CommunityForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=80)], render_kw={"maxlength": 80})
    slug = StringField("Address", description="3 to 40 lowercase letters, digits and hyphens: /communities/<address>",
                       render_kw={"maxlength": 40, "pattern": "[a-z0-9-]{3,40}"})
    description = TextAreaField("Description", validators=[Length(max=2000)], render_kw={"rows": 4})
    # Rendered as two radio buttons in the template; the service checks the value.
    visibility = StringField("Who can read it", default="public")
    icon = FileField("Icon", description="JPEG, PNG, WebP or GIF. Cropped square.", render_kw=IMAGE_TYPES)
    banner = FileField("Banner", description="JPEG, PNG, WebP or GIF. Cropped to 3:1.", render_kw=IMAGE_TYPES)


class EditCommunityForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=80)], render_kw={"maxlength": 80})
    description = TextAreaField("Description", validators=[Length(max=2000)], render_kw={"rows": 4})
    icon = FileField("New icon", render_kw=IMAGE_TYPES)
    banner = FileField("New banner", render_kw=IMAGE_TYPES)


class PostForm(FlaskForm):
    title = StringField("Title", validators=[Length(max=200)], render_kw={"maxlength": 200})
    body = TextAreaField("Body", description="Markdown: **bold**, *italic*, [links](https://...), lists, > quotes.",
                         render_kw={"rows": 10})


class ReplyForm(FlaskForm):
    body = TextAreaField("Your reply", description="Markdown works here.", render_kw={"rows": 4})


class ReasonForm(FlaskForm):
    reason = StringField("Reason", validators=[Length(max=500)], render_kw={"maxlength": 500})
