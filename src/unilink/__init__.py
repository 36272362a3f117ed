"""unilink — unified connectivity on a pan-European backbone."""

__version__ = "0.1.0"
