import io

from PIL import Image


def make_image(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color=(200, 30, 90), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCameraMaker"  # Make
        data[0x8825] = {1: "N"}  # a GPS block
        kwargs["exif"] = data
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()
