"""radargest: hand-gesture recognition with Acconeer A121 radar (the application layer).

The packages below it follow the data flow ``acquisition → dsp → models → deploy``; this package
composes them and holds the command line.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
