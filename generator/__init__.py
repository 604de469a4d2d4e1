"""Probable: a static site generator for interactive machine-learning articles.

The build runs in stages, one module each:

``config``   site.toml -> SiteConfig
``load``     content/ -> Source (front matter checked, body kept with line numbers)
``parse``    Source -> Document (Markdown rendered to HTML, widgets resolved)
``render``   Documents -> pages (Jinja templates, feed, sitemap)
``write``    pages + static assets -> public/ (built aside, then swapped in)

``build.build()`` calls them in that order.
"""

__version__ = "0.1.0"
