"""Regions of the 478-point face mesh (mediapipe face-mesh topology): the one table.

Ordered outlines of mediapipe's face-mesh contours, as vertex indices. ``_R`` / ``_L``
name the *subject's* side: ``EYE_R`` is the subject's right eye, the image-left one in
a frontal photo. Lists (not tuples) so that ``pts[EYE_R]`` indexes rows.

Every stage reads faces through these (intake's measures, the studio's retouch masks,
the review's attributes, the team's measures); the masks built from them are in
:mod:`likeness.faces.masks`.
"""

from __future__ import annotations

FACE_OVAL = [10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
             152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109]
EYE_R = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246]
EYE_L = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466]
BROW_R = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46]
BROW_L = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]
LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185]  # outer
LIPS_IN = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191]
CHEEK_R = [117, 118, 119, 100, 142, 203, 206, 216, 192, 213, 147, 123]
CHEEK_L = [346, 347, 348, 329, 371, 423, 426, 436, 416, 433, 376, 352]
FOREHEAD = [54, 103, 67, 109, 10, 338, 297, 332, 284, 300, 293, 334, 296, 336, 9, 107, 66, 105, 63, 70]
#: Lower nose (convex hull): nostrils and the alar creases, dark by anatomy.
NOSE_BASE = [48, 64, 98, 97, 2, 326, 327, 294, 278, 219, 439, 115, 344, 49, 279, 129, 358, 102, 331]
#: Nose tip and alar grooves: their shading draws the nose's shape.
NOSE_TIP = [4, 45, 275, 220, 440, 115, 344, 48, 278, 1, 2, 198, 420, 131, 360, 209, 429]
#: From the second lid ring down to the cheekbone: the tear trough.
UNDER_EYE_R = [130, 25, 110, 24, 23, 22, 26, 112, 243, 244, 128, 121, 120, 119, 118, 117, 111, 35]
UNDER_EYE_L = [359, 255, 339, 254, 253, 252, 256, 341, 463, 464, 357, 350, 349, 348, 347, 346, 340, 265]
#: Forehead → nose tip → chin line of the face.
MIDLINE = [168, 6, 197, 195, 5, 4, 1, 2, 164, 0]
MOUTH_CORNERS = [61, 291]
INNER_EYE_CORNERS = [133, 362]
#: Eyelid pairs (upper, lower) at three places, and the corners that give the eye width.
LIDS_R, CORNERS_R = [(160, 144), (159, 145), (158, 153)], (33, 133)
LIDS_L, CORNERS_L = [(385, 380), (386, 374), (387, 373)], (362, 263)
#: Iris centre and its four rim points, per eye (mesh with refined iris landmarks).
IRIS_R = (468, [469, 470, 471, 472])
IRIS_L = (473, [474, 475, 476, 477])
IRIS = (IRIS_R, IRIS_L)
