from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"


class PostForm(FlaskForm):
    # Lengths are checked by the service, so the page and the API give the same errors.
    body = TextAreaField("What's new?", description="Up to 5,000 characters. Links and @mentions become links.",
                         render_kw={"rows": 4, "maxlength": 5000})
    content_warning = StringField("Content warning (optional)",
                                  description="Folds the post until a reader chooses to open it.",
                                  render_kw={"maxlength": 200})
    image1 = FileField("Image 1", render_kw={"accept": IMAGE_ACCEPT})
    alt1 = StringField("Alt text for image 1", description="Describe the image for people who cannot see it.")
    image2 = FileField("Image 2", render_kw={"accept": IMAGE_ACCEPT})
    alt2 = StringField("Alt text for image 2")
    image3 = FileField("Image 3", render_kw={"accept": IMAGE_ACCEPT})
    alt3 = StringField("Alt text for image 3")
    image4 = FileField("Image 4", render_kw={"accept": IMAGE_ACCEPT})
    alt4 = StringField("Alt text for image 4")

    def image_pairs(self):
        return [(getattr(self, f"image{i}").data, getattr(self, f"alt{i}").data or "") for i in range(1, 5)]


class CommentForm(FlaskForm):
    body = TextAreaField("Add a comment", description="Up to 2,000 characters.",
                         validators=[Length(max=100_000)], render_kw={"rows": 2, "maxlength": 2000})


class ActionForm(FlaskForm):
    """A button that changes something: CSRF, and where to go back to without JS."""

    next = HiddenField()
