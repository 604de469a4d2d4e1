"""Pelican setup for Probable's benchmark: the pages Probable makes, no more."""

AUTHOR = "Bench"
SITENAME = "Bench"
SITEURL = "https://bench.example.org"
DESCRIPTION = "A synthetic corpus for timing static site generators."
PATH = "content"
THEME = "theme"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
STATIC_PATHS = ["static"]
DEFAULT_PAGINATION = False
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False

# Highlighted code (Pygments), tables and heading ids, as Probable renders.
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight"},
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {},
    },
    "output_format": "html5",
}

ARTICLE_URL = "posts/{slug}/"
ARTICLE_SAVE_AS = "posts/{slug}/index.html"
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
TAGS_SAVE_AS = "tags/index.html"
ARCHIVES_SAVE_AS = "archive/index.html"
DIRECT_TEMPLATES = ["index", "tags", "archives"]

# Probable has no category or author pages, and one feed with full text.
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
FEED_ALL_ATOM = None
FEED_ALL_RSS = "feed.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
RSS_FEED_SUMMARY_ONLY = False
# The newest 20 posts in full, as Probable's feed (feed_items).
FEED_MAX_ITEMS = 20
