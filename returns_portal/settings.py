"""Settings for the returns portal, read from the environment.

With no variables set the portal runs embedded: an SQLite file under ``var/``,
Celery tasks executed eagerly, e-mail written to files under ``var/mail``. Set
``PORTAL_ENV=production`` and the variables listed in the README for the
production shape (PostgreSQL, Redis, SMTP); missing or malformed ones stop
start-up with one line naming the variable (see ``returns_portal.env``).
"""

from datetime import timedelta
from pathlib import Path

import csp.constants as csp
from django.utils.translation import gettext_lazy as _

from returns_portal.env import Env
from returns_portal.storage import DISK, object_storage, object_storage_problems

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = Env()
PRODUCTION = env.choice("PORTAL_ENV", ["development", "production"], default="development") == "production"

# --- Core -------------------------------------------------------------------

DEBUG = env.flag("DEBUG", default=False)
SECRET_KEY = env.text(
    "SECRET_KEY",
    required=PRODUCTION,
    default="insecure-development-key-only-for-the-embedded-demo-0123456789",
    min_length=50 if PRODUCTION else 0,
)
ALLOWED_HOSTS = env.items(
    "ALLOWED_HOSTS", required=PRODUCTION, default=["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.items("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before the admin: its admin/base_site.html adds the two-factor link to the admin's user tools.
    "returns_portal.staff",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",  # django-csp's system checks
    "returns_portal.core",
    "returns",
    "refunds",
    "followup",
    "returns_portal.operations",
    "returns_portal.demo",
    "returns_portal.privacy",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "returns_portal.csp.ContentSecurityPolicyMiddleware",
    "returns_portal.errors.RejectNulBytes",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "returns_portal.core.fastpages.FastPages",  # a cached customer page, without sessions and users
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): this session entered its second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "returns_portal.staff.sessions.StaffIdleTimeout",
    "returns_portal.staff.two_factor_middleware.StaffTwoFactor",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "returns_portal.urls"
WSGI_APPLICATION = "returns_portal.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "returns_portal.core.context_processors.shop",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------

DATABASES = {
    "default": env.database_url(
        "DATABASE_URL",
        required=PRODUCTION,
        default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}",
    )
}
# Keeping connections open is worth ~4x throughput on a one-query page (see README).
DATABASES["default"]["CONN_MAX_AGE"] = env.number("CONN_MAX_AGE", default=60)
# A connection that a database restart broke is noticed at the next request's first query and
# replaced, so no worker keeps a dead one; a database that does not answer costs 5 s, not a stuck worker.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

# --- Redis: Celery broker and cache -------------------------------------------

REDIS_URL = env.url("REDIS_URL", required=PRODUCTION, schemes=("redis", "rediss"), default="")

if REDIS_URL:
    CACHES = {
        "default": {
            # A Redis restart makes cache calls misses, not 500s (see returns_portal/core/cache.py).
            "BACKEND": "returns_portal.core.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that does not answer costs a page at most this long, never a stuck worker.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
            # Portals on one Redis (a demo, a staging copy) keep apart by their database's name.
            "KEY_PREFIX": Path(str(DATABASES["default"]["NAME"])).name,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Every task is fired and forgotten (what it did is in the database). Waiting for results made each
# `.delay()` subscribe to the result store: while Redis restarts that blocked a web request ~20 s, then
# left the process unable to queue at all. A caller that wants a result asks: `apply_async(ignore_result=False)`.
CELERY_TASK_IGNORE_RESULT = True
# Without a broker, tasks run in the calling process so the demo needs no other service.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "expire-unsent-returns": {"task": "returns.expire_unsent_returns", "schedule": 3600.0},
    # Sends what a lost task or a broker restart left behind, and messages scheduled for later.
    "sweep-outbox": {"task": "followup.sweep_outbox", "schedule": env.number("OUTBOX_SWEEP_SECONDS", default=60)},
    # Books the carrier for returns it did not answer for right after they were made.
    "book-missing-carriers": {"task": "returns.book_missing_carriers", "schedule": 60.0},
    # Issues store credit whose payout task a broker outage lost.
    "pay-waiting-store-credit": {"task": "refunds.pay_waiting_store_credit", "schedule": 300.0},
    "select-winback": {"task": "followup.select_winback", "schedule": 6 * 3600.0},
    # Asks the carriers about parcels on their way, for carriers that send no events (returns.tracking).
    "track-parcels": {"task": "returns.track_parcels", "schedule": 15 * 60.0},
    # Asks the payment providers about refunds left processing, in case a webhook was lost.
    "reconcile-refunds": {"task": "refunds.reconcile_processing_refunds", "schedule": 15 * 60.0},
    # Anonymises customers' data past PERSONAL_DATA_RETENTION_MONTHS (returns_portal.privacy.retention).
    "anonymise-expired-personal-data": {"task": "privacy.anonymise_expired_personal_data", "schedule": 24 * 3600.0},
}
# A worker that stopped while sending an outbox message holds it this long; then the sweep sends it
# again. Well above the longest a send may take (20 s per SMTP step, 10 s per webhook step).
OUTBOX_LEASE_SECONDS = env.number("OUTBOX_LEASE_SECONDS", default=300)

# --- E-mail -------------------------------------------------------------------

_email = env.email_url("EMAIL_URL", required=PRODUCTION)
if _email:
    vars().update(_email)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", default="returns@shop.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Languages, time -----------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("sv", _("Swedish")),
    ("fi", _("Finnish")),
    ("nb", _("Norwegian")),
    ("da", _("Danish")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env.text("TIME_ZONE", default="Europe/Stockholm")
USE_TZ = True

# --- Static files ---------------------------------------------------------------

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Outside production, serve straight from the source folders: the demo needs no collectstatic.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")

# --- Files the portal keeps: customers' photos -----------------------------------
# On this machine's disk unless a bucket is named; with more than one machine, name one
# (returns_portal/storage.py, and the README's production section).
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "media/"
_object_store = {
    "bucket": env.text("AWS_STORAGE_BUCKET_NAME"),
    "endpoint_url": env.url("AWS_S3_ENDPOINT_URL", schemes=("https", "http"), default=""),
    "region": env.text("AWS_S3_REGION_NAME"),
    "access_key": env.text("AWS_ACCESS_KEY_ID"),
    "secret_key": env.text("AWS_SECRET_ACCESS_KEY"),
}
env.errors += object_storage_problems(**_object_store)
STORAGES = {
    "default": object_storage(
        **_object_store,
        addressing_style=env.choice("AWS_S3_ADDRESSING_STYLE", ["auto", "path", "virtual"], default="auto"),
    )
    if _object_store["bucket"]
    else DISK,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security -------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.flag("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.number("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Content-Security-Policy ---------------------------------------------------

# Pages load scripts, styles, images and fonts from the portal itself and nothing inline (templates keep
# their CSS and JS under static/; tests/test_csp.py keeps it so), post forms only to it, and are never
# framed unless CSP_FRAME_ANCESTORS names the shop's origins that embed the portal. CSP_REPORT_ONLY=true
# only reports what the policy would block (in the browser's console), e.g. while a shop that embeds
# the portal tries it; framing stays enforced even then. django-csp 4 reads only the two dicts below:
# a Django setting named CSP_... is its old format, which its system check refuses.
_FRAME_ANCESTORS = env.origins("CSP_FRAME_ANCESTORS", default=[]) or [csp.NONE]
_POLICY: dict[str, list[str] | None] = {
    "default-src": [csp.SELF],
    "script-src": [csp.SELF],
    "style-src": [csp.SELF],
    "img-src": [csp.SELF],
    "object-src": [csp.NONE],
    "base-uri": [csp.SELF],
    "form-action": [csp.SELF],
    "frame-ancestors": _FRAME_ANCESTORS,
}
if env.flag("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _POLICY}
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": None, "frame-ancestors": _FRAME_ANCESTORS}}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _POLICY}

# --- REST framework -------------------------------------------------------------

REST_FRAMEWORK = {
    # One token per integration (a user in the Shop, Warehouse or Support group); staff in the
    # browser may also use their session on the browsable API.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["returns_portal.core.api.RolePermissions"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],  # one body format, one set of rules
    "DEFAULT_THROTTLE_CLASSES": ["returns_portal.core.api.IntegrationThrottle"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "returns_portal.core.api.NewestFirst",
    "PAGE_SIZE": 50,
}
# Requests per token (or per staff user) and period; a client over it gets 429 with Retry-After.
API_RATE = env.text("API_RATE", default="1200/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Returns portal API",
    "DESCRIPTION": "Orders in, returns and refunds out, and the support look-up. Authenticate with "
    "`Authorization: Token <key>`; tokens are made with `manage.py api_token` or in the admin.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: no external CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "returns_portal.core.api.document_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "ReturnStateEnum": "returns.models.ReturnState",
        "RefundStateEnum": "refunds.models.RefundState",
    },
}

# --- Logging: one line per record, to stderr --------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", default="INFO")},
    # django-axes says every failed staff login and lockout at WARNING; its INFO lines are bookkeeping
    # (successful logins are under Access logs in the admin).
    # urllib3 logs each request's URL at DEBUG, and PostNord's API key travels in the URL.
    "loggers": {"axes": {"level": "WARNING"}, "urllib3": {"level": "INFO"}},
}

# --- The portal -------------------------------------------------------------------

SHOP_NAME = env.text("SHOP_NAME", default="Nordväst Outfitters")
# The portal's public address: e-mails link to status pages, surveys and unsubscribe pages from it.
PORTAL_URL = env.url("PORTAL_URL", required=PRODUCTION, schemes=("http", "https"), default="http://127.0.0.1:8000")
RETURN_CARRIER = env.text("RETURN_CARRIER", default="returns.carriers.BuiltinCarrier")
RETURN_CARRIER_COUNTRY = env.text("RETURN_CARRIER_COUNTRY", default="SE")
RETURN_PICKUP_WINDOW = env.text("RETURN_PICKUP_WINDOW", default="08:00–18:00")  # when the built-in carrier comes
# How many proxies in front of the portal add to X-Forwarded-For (0: none). Look-up limits count per client.
TRUSTED_PROXIES = env.number("TRUSTED_PROXIES", default=0)

# --- Carriers (README "Carriers") ----------------------------------------------------
# Credentials come from the environment only: never stored in the database, never shown.

# The carriers a route in the admin (returns.CarrierRoute) may name; RETURN_CARRIER serves where no route does.
CARRIERS = {
    "builtin": "returns.carriers.BuiltinCarrier",
    "postnord": "returns.carriers.postnord.PostNordCarrier",
    "nshift": "returns.carriers.nshift.NShiftCarrier",
    "bring": "returns.carriers.bring.BringCarrier",
}
CARRIER_TIMEOUT_SECONDS = env.number("CARRIER_TIMEOUT_SECONDS", default=10)  # booking, tracking, pickups
CARRIER_LOOKUP_TIMEOUT_SECONDS = env.number(
    "CARRIER_LOOKUP_TIMEOUT_SECONDS", default=2
)  # service points, while the customer waits
POSTNORD_API_KEY = env.text("POSTNORD_API_KEY")
POSTNORD_BASE_URL = env.url("POSTNORD_BASE_URL", schemes=("http", "https"), default="https://api2.postnord.com")
POSTNORD_CUSTOMER_NUMBER = env.text("POSTNORD_CUSTOMER_NUMBER")  # the shop's PostNord customer number
POSTNORD_RETURN_SERVICE = env.text("POSTNORD_RETURN_SERVICE", default="24")  # basic service code: Return Drop Off
NSHIFT_API_ID = env.text("NSHIFT_API_ID")
NSHIFT_API_SECRET = env.text("NSHIFT_API_SECRET")
NSHIFT_BASE_URL = env.url("NSHIFT_BASE_URL", schemes=("http", "https"), default="https://api.unifaun.com/rs-extapi/v1")
NSHIFT_SENDER_QUICK_ID = env.text("NSHIFT_SENDER_QUICK_ID", default="1")  # the sender in nShift's address book
NSHIFT_RETURN_SERVICE = env.text("NSHIFT_RETURN_SERVICE")  # the shop's return service, e.g. PostNord's "P24"
NSHIFT_AGENT_TYPE = env.text("NSHIFT_AGENT_TYPE", default="POSTNORD")  # whose service points: nShift's agent type
BRING_API_UID = env.text("BRING_API_UID")  # the Mybring login (e-mail) the API key belongs to
BRING_API_KEY = env.text("BRING_API_KEY")
BRING_CUSTOMER_NUMBER = env.text("BRING_CUSTOMER_NUMBER")  # the shop's Bring customer number, pays the returns
BRING_BASE_URL = env.url("BRING_BASE_URL", schemes=("http", "https"), default="https://api.bring.com")  # every API
BRING_RETURN_PRODUCT = env.text("BRING_RETURN_PRODUCT", default="9350")  # Return parcel to business (QR code)
BRING_TEST_BOOKINGS = env.flag("BRING_TEST_BOOKINGS", default=False)  # X-Bring-Test-Indicator: test bookings only

# --- Payment providers (README "Payment providers") ------------------------------------

# Where a refund to the original payment goes, by the order's payment provider (Order.payment_provider).
PAYMENT_PROVIDERS = {
    "klarna": "refunds.providers.klarna.KlarnaProvider",
    "adyen": "refunds.providers.adyen.AdyenProvider",
    "stripe": "refunds.providers.stripe.StripeProvider",
}
# A refund left processing this long is asked about (a lost webhook); this long, it is shown to staff as stuck.
REFUND_RECONCILE_AFTER_MINUTES = env.number("REFUND_RECONCILE_AFTER_MINUTES", default=30)
REFUND_STUCK_AFTER_HOURS = env.number("REFUND_STUCK_AFTER_HOURS", default=48)
PAYMENT_PROVIDER_TIMEOUT_SECONDS = env.number("PAYMENT_PROVIDER_TIMEOUT_SECONDS", default=15)
KLARNA_USERNAME = env.text("KLARNA_USERNAME")  # the API credentials' user name (UID), e.g. "PK12345_..."
KLARNA_PASSWORD = env.text("KLARNA_PASSWORD")
KLARNA_BASE_URL = env.url("KLARNA_BASE_URL", schemes=("http", "https"), default="https://api.klarna.com")
ADYEN_API_KEY = env.text("ADYEN_API_KEY")
ADYEN_MERCHANT_ACCOUNT = env.text("ADYEN_MERCHANT_ACCOUNT")
ADYEN_HMAC_KEY = env.text("ADYEN_HMAC_KEY")  # hex, from the webhook's settings in Adyen's Customer Area
ADYEN_CHECKOUT_URL = env.url(
    "ADYEN_CHECKOUT_URL", schemes=("http", "https"), default="https://checkout-test.adyen.com/v71"
)  # live: https://<prefix>-checkout-live.adyenpayments.com/checkout/v71
STRIPE_SECRET_KEY = env.text("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env.text(
    "STRIPE_WEBHOOK_SECRET"
)  # "whsec_...", from the webhook endpoint in Stripe's dashboard
STRIPE_API_BASE = env.url("STRIPE_API_BASE", schemes=("http", "https"), default="https://api.stripe.com")

# --- Customers' data (GDPR) ---------------------------------------------------------

# Personal data of a return is anonymised this many months after the return ended (and a customer's
# name, address and e-mail once they have had no order or return for as long). 36 months covers the
# Nordic complaint periods for most goods (Sweden three years, Denmark and Norway two, Finland a
# "reasonable time"); a shop selling goods meant to last long in Norway (five years) sets 60.
# Amounts, VAT, dates and order numbers stay: bookkeeping law keeps them for 5-7 years.
PERSONAL_DATA_RETENTION_MONTHS = env.number("PERSONAL_DATA_RETENTION_MONTHS", default=36)
# Keys the hash that keeps a forgotten person's objection to marketing. Set it once and never change it:
# with another key the old hashes match nobody, and those people could be offered marketing again.
# It defaults to SECRET_KEY, so set it before rotating that.
PRIVACY_HASH_KEY = env.text("PRIVACY_HASH_KEY", default=SECRET_KEY)

# --- Staff logins -------------------------------------------------------------------

# django-axes counts failed logins in the database, so every web process agrees: after
# STAFF_LOGIN_FAILURES for one user name, or from one client address, logins are refused until
# STAFF_LOGIN_COOLOFF_MINUTES have passed since the last one (refused tries do not prolong it).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.number("STAFF_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.number("STAFF_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # so the lockout page can say when it ends
AXES_CLIENT_IP_CALLABLE = "returns_portal.staff.lockout.client_ip"  # the client TRUSTED_PROXIES points at
AXES_LOCKOUT_CALLABLE = "returns_portal.staff.lockout.locked_out"
# The log names the user and the address, never the password nor a second-factor code (which may be a recovery code).
AXES_SENSITIVE_PARAMETERS = ["code"]
AXES_VERBOSE = False  # no start-up line from every manage.py command; log lines keep user and address
# Logged-in sessions end after this long without a request (0: no idle limit, Django's two weeks).
STAFF_SESSION_IDLE_MINUTES = env.number("STAFF_SESSION_IDLE_MINUTES", default=60)
# A second factor (an authenticator app, recovery codes; django-otp) after the password: "required" sends staff
# without one to enrol first; "optional" asks only those who enrolled (from the admin's user tools). Wrong codes
# count toward the lockout above. `manage.py reset_two_factor USERNAME` or the users' admin resets a lost phone.
STAFF_TWO_FACTOR = env.choice(
    "STAFF_TWO_FACTOR", ["required", "optional"], default="required" if PRODUCTION else "optional"
)
OTP_TOTP_ISSUER = SHOP_NAME  # how the entry is named in the authenticator app

# Every variable has been read: stop now, naming each one that is missing or malformed.
env.check()
