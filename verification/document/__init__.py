"""Reading identity documents in photos: find the card, flatten it, read it, find faces.

- ``card``: the card's outline (OpenCV), flattening, quality measures on the card
- ``ocr``: the offline OCR engine (RapidOCR; models inside the rapidocr wheel)
- ``fields``: OCR lines → the fields of a resident ID (front, back) or a passport's MRZ
- ``faces``: is there a face (OpenCV's Haar cascade, inside the OpenCV wheel)
- ``reading``: one photo → a ``Reading`` (what was found, measured and read)
- ``judge``: a reading and what was typed → findings (pass, fixable, for a person)
- ``likeness``: a hint for reviewers, dlib's face embedding (models in a registry package)
- ``phash``: perceptual hashes as signed 64-bit integers, distance in the database
- ``review``: typed beside read, for the staff case page

Models are loaded once per worker process, on first use. Nothing here writes:
``verification.services.document`` stores readings.
"""

import cv2
from django.conf import settings

# One native thread per check unless configured (PORTAL_CHECKS_THREADS): the
# worker process is the unit of parallelism, and OpenCV's own pool would make
# two workers on two cores fight over both. onnxruntime takes the same number
# in ``ocr``.
cv2.setNumThreads(settings.PORTAL_CHECKS_THREADS)
