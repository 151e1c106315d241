"""One worker thread beside the render's own, for steps that need nothing the main
thread is working on at the time (:mod:`likeness.studio.pipeline`: the whole photo's
segmentation beside the framing, the retouch beside the matte;
:func:`likeness.studio.light.relight`: the light's estimate beside the skin and fill
maps). They are model runs and small-image work that leave a second core idle.

Networks are per thread (:mod:`likeness.faces.tflite`), so a step that runs a model
here loads its own copy once. A render that never submits anything starts no thread.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

BESIDE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="likeness-beside")
