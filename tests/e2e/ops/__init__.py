"""The HTTP side's ops API and operations (issue 9, points 5 and 6)."""
