"""The version of nkfx, in a leaf module so that any stage can record it without importing nkfx."""

__version__ = "0.1.0"
