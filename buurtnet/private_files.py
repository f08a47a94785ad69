"""Kept for the migrations that name it: they were written when private files lived here.
New code imports `buurtnet.common.private_files`."""

from buurtnet.common.private_files import clean_filename, private_storage

__all__ = ["clean_filename", "private_storage"]
