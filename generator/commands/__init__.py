"""One module per ``probable`` subcommand, each with ``add_arguments`` and ``run``.

The modules import what their command needs inside ``run``: the CLI imports
all of them to build its help, and a build that finds nothing to do should
not pay for importing Markdown, Jinja and Pygments.
"""
