from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

IMAGE_ACCEPT = "image/jpeg,image/png,image/webp,image/gif"
KIND_CHOICES = [SelectChoice(v, label) for v, label in (
    ("writing", "Writing"), ("art", "Digital art"), ("comic", "Comic"), ("download", "Download"))]
# What the kind step says of each kind, and how the files field reads for the two kinds with files.
KIND_HINTS = {
    "writing": "A story, essay or article. Choose where the free part ends.",
    "art": "Images: everyone sees a preview, buyers get the originals.",
    "comic": "Pages in reading order, in chapters. The first pages can be free.",
    "download": "Any files: e-books, sample packs, fonts, templates.",
}
FILES_LABELS = {
    "art": ("Images", "JPEG, PNG, WebP or GIF, in the order they are shown."),
    "download": ("Files", "Any files, up to 20."),
}
PRICING_CHOICES = [SelectChoice(v, label) for v, label in (
    ("free", "Free"), ("one_time", "One-time price"), ("subscription", "Subscribers only"))]


class ItemForm(FlaskForm):
    kind = SelectField("Kind", choices=KIND_CHOICES, validate_choice=False)
    title = StringField("Title", render_kw={"maxlength": 120})
    description = TextAreaField("Description", render_kw={"rows": 3, "maxlength": 5000})
    tags = StringField("Tags", description="Up to 10, separated by commas: letters, digits and dashes.")
    pricing = SelectField("Pricing", choices=PRICING_CHOICES, validate_choice=False)
    price = StringField("Price in USD", description="For a one-time price, e.g. 4.99.",
                        render_kw={"inputmode": "decimal"})
    cover = FileField("Cover image", description="JPEG, PNG, WebP or GIF, at most 5 MB.",
                      render_kw={"accept": IMAGE_ACCEPT})
    body = TextAreaField("Text", description="Markdown. A line with only ---paywall--- ends the free preview.",
                         render_kw={"rows": 14, "data-editor": "quill"})
    body_format = HiddenField(default="markdown")
    files = MultipleFileField("Files", description="Downloads: any files. Art: images.")
    file_alts = TextAreaField("Image descriptions (art)", description="One line per image, in order.",
                              render_kw={"rows": 3})
    pages = MultipleFileField("Comic pages", description="Page images, in reading order.",
                              render_kw={"accept": IMAGE_ACCEPT})
    page_alts = TextAreaField("Page alt texts", description="One line per page, in order.", render_kw={"rows": 3})
    transcripts = TextAreaField("Page transcripts", description="One block per page, separated by a line ---.",
                                render_kw={"rows": 4})
    chapter_title = StringField("First chapter title")
    free_pages = StringField("Free pages", description="How many first pages everyone may read.",
                             default="1", render_kw={"inputmode": "numeric"})
    publish = BooleanField("Publish now (otherwise it stays a private draft)")

    def for_kind(self, kind: str | None) -> None:
        """Label the shared files field for the kind being made (images for art)."""
        if kind in FILES_LABELS:
            label, description = FILES_LABELS[kind]
            self.files.label.text, self.files.description = label, description
            if kind == "art":
                self.files.render_kw = {"accept": IMAGE_ACCEPT}


class ChapterForm(FlaskForm):
    chapter_title = StringField("Chapter title")
    pages = MultipleFileField("Pages", render_kw={"accept": IMAGE_ACCEPT})
    page_alts = TextAreaField("Page alt texts", description="One line per page.", render_kw={"rows": 3})
    transcripts = TextAreaField("Page transcripts", description="Blocks separated by a line ---.",
                                render_kw={"rows": 3})


class ReviewForm(FlaskForm):
    rating = SelectField("Rating", choices=[SelectChoice(str(n), "★" * n) for n in range(5, 0, -1)],
                         validate_choice=False)
    body = TextAreaField("Review", render_kw={"rows": 3, "maxlength": 5000})


class PlanForm(FlaskForm):
    price = StringField("Monthly price in USD", description="Empty or 0 turns subscriptions off.",
                        render_kw={"inputmode": "decimal"})


class CollectionForm(FlaskForm):
    name = StringField("Name", render_kw={"maxlength": 80})
    is_public = BooleanField("Public")
