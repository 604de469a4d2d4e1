"""One module per ``probable`` subcommand, each with ``add_arguments`` and ``run``."""
