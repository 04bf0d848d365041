"""Reading identity documents in photos: find the card, flatten it, read it, find faces.

- ``card``: the card's outline (OpenCV), flattening, quality measures on the card
- ``ocr``: the offline OCR engine (RapidOCR; models inside the rapidocr wheel)
- ``fields``: OCR lines → the fields of a resident ID (front, back) or a passport's MRZ
- ``faces``: is there a face (OpenCV's Haar cascade, inside the OpenCV wheel)
- ``reading``: one photo → a ``Reading`` (what was found, measured and read)
- ``phash``: perceptual hashes as signed 64-bit integers for the database

Models are loaded once per worker process, on first use.
"""
