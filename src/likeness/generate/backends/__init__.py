"""One file per generation backend; each decorates its class with ``registry.register``.

Modules here are found by ``registry`` on first use (no list to edit). They must not
import torch or diffusers at import time.
"""
