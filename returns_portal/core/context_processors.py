from django.conf import settings
from django.http import HttpRequest

# Each language named in itself, so a customer finds their own whatever the page's language.
PORTAL_LANGUAGES = [("en", "English"), ("sv", "Svenska"), ("fi", "Suomi"), ("nb", "Norsk"), ("da", "Dansk")]


def shop(request: HttpRequest) -> dict[str, object]:
    return {"shop_name": settings.SHOP_NAME, "portal_languages": PORTAL_LANGUAGES}
