"""crashsift: read pasted WinDbg / kd / cdb text into structured crash reports."""

__version__ = "0.1.0"
