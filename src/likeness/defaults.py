"""What a user gets without choosing: the Look and the framing. One place for the
command line, the Python API, the web server and team runs (no imports: the command
line reads it before anything heavy loads)."""

#: The Look (``likeness looks``) used when none is given.
LOOK = "corporate-grey"
#: The framing preset used when neither the user nor the Look names one.
FRAME = "headshot"
