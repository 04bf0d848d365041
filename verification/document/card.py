"""Find the card in a photo, flatten it, and measure its quality on the card itself.

The photo is searched on a small copy (``SEARCH_EDGE`` pixels): edges from
the grey picture and from the colour saturation (a light card on white paper
differs more in colour than in brightness) are closed into outlines; each
large outline becomes a four-cornered candidate (its polygon, or its
rotated bounding box when the card's corners are rounded). A candidate is
believed only when the photo's edges really run along its four sides
(``MIN_SIDE_SUPPORT``), so a blank wall, gravel or a crumpled page yields
nothing. A candidate with a side on the photo's border is a card cut off
by the frame.

The chosen outline is mapped back to the larger copy and the card is
flattened (perspective corrected) to a fixed size, on which sharpness,
glare and exposure are measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

SEARCH_EDGE = 800  # long edge of the copy the outline is searched on
MIN_AREA_SHARE = 0.03  # outlines smaller than this share of the photo are ignored
MIN_DETAIL = 0.03  # a card's inside has text and pattern; a plain coloured box does not
MIN_SIDE_SUPPORT = 0.6  # share of a side's length that must lie on an edge (3 of 4 sides)
PLAUSIBLE_RATIO = (1.2, 2.0)
ID1_WINDOW = (1.44, 1.80)  # an ID-1 card's ratio as photographed (perspective included)
DOCUMENT_RATIOS = (1.30, 1.80)  # ID-1 and ID-3 (a passport page) as photographed
BORDER_MARGIN = 0.012  # a corner this close to the photo's border touches it

# Card sizes (long/short ratio and the flattened size): ID-1 is 85.6 × 54 mm
# (resident ID, travel permits), ID-3 is 125 × 88 mm (a passport's data page).
ID1 = (85.6 / 54.0, (856, 540))
ID3 = (125.0 / 88.0, (1000, 704))


@dataclass
class Candidate:
    corners: np.ndarray  # 4×2 float32, clockwise from top-left, in search-copy pixels
    area_share: float
    support: float  # the weakest side's edge support
    border_sides: int  # sides lying on the photo's border
    ratio: float  # long/short, from the mean lengths of opposite sides
    detail: float = 1.0  # share of edge pixels inside: a card has print, a plain box has none


@dataclass
class CardSearch:
    """What was found: ``card`` (complete), else maybe ``cut_off``, else nothing."""

    card: Candidate | None = None
    cut_off: Candidate | None = None
    scale: float = 1.0  # search-copy pixels → analysed-copy pixels
    candidates: int = 0
    notes: dict = field(default_factory=dict)


def find_card(image: np.ndarray) -> CardSearch:
    """Search the BGR ``image`` for a card's outline."""
    h, w = image.shape[:2]
    scale = max(h, w) / SEARCH_EDGE if max(h, w) > SEARCH_EDGE else 1.0
    small = cv2.resize(image, (round(w / scale), round(h / scale)),
                       interpolation=cv2.INTER_AREA) if scale != 1.0 else image
    found: list[Candidate] = []
    for gentle in (False, True):  # the second pass finds faint outlines (card on white paper)
        edges = _edges(small, gentle=gentle)
        found += _candidates(edges, close=9 if gentle else 5)
        if not gentle:
            # A card's own pattern can break the inside of its outline into pieces;
            # its light, colourless surface still stands out from a coloured desk.
            found += _surface_candidates(small, edges)
        if any(c.border_sides == 0 and c.support >= 0.9 and c.area_share >= 0.08
               and ID1_WINDOW[0] <= c.ratio <= ID1_WINDOW[1] for c in found):
            break
    search = CardSearch(scale=scale, candidates=len(found))
    complete = [c for c in found if c.border_sides == 0 and c.support >= MIN_SIDE_SUPPORT
                and c.detail >= MIN_DETAIL and not _touches_border(c, small.shape)]
    # Prefer outlines shaped like a document (a card, a passport page, even a
    # sheet of paper: the proportions rule judges it later) over slivers.
    plausible = [c for c in complete if PLAUSIBLE_RATIO[0] <= c.ratio <= PLAUSIBLE_RATIO[1]]
    complete = plausible or complete
    if complete:
        search.card = max(complete, key=_likelihood)
    cut = [c for c in found if c.border_sides > 0 and c.area_share >= 0.08
           and c.support >= MIN_SIDE_SUPPORT]
    if cut:
        best = max(cut, key=lambda c: c.area_share)
        if search.card is None or best.area_share > 2.5 * search.card.area_share:
            search.cut_off = best
            if search.card is not None and _inside(search.card, best):
                search.card = None  # what looked whole was a part of the cut card (its portrait)
    return search


def _likelihood(c: Candidate) -> float:
    """Large, well-outlined, and shaped like an ID card or a passport page."""
    shaped = 1.0 if DOCUMENT_RATIOS[0] <= c.ratio <= DOCUMENT_RATIOS[1] else 0.5
    return c.area_share * (0.5 + c.support) * shaped


def _edges(small: np.ndarray, *, gentle: bool = False) -> np.ndarray:
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    saturation = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)[..., 1]
    k, (low, high) = ((9, 9), (8, 24)) if gentle else ((5, 5), (20, 60))
    edges = (cv2.Canny(cv2.GaussianBlur(grey, k, 0), low, high)
             | cv2.Canny(cv2.GaussianBlur(saturation, k, 0), low, high))
    return cv2.dilate(edges, np.ones((3, 3), np.uint8))


def _candidates(edges: np.ndarray, *, close: int = 5) -> list[Candidate]:
    h, w = edges.shape
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((close, close), np.uint8))
    # A frame of edge pixels closes the outline of a card that runs off the photo,
    # so its inside becomes a region of its own (a candidate with a side on the border).
    closed[0, :] = closed[-1, :] = closed[:, 0] = closed[:, -1] = 255
    support_map = cv2.dilate(edges, np.ones((9, 9), np.uint8))
    edge_points = np.argwhere(edges > 0)[:, ::-1].astype(np.float32)  # (x, y)
    contours, _ = cv2.findContours(closed, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    out: list[Candidate] = []
    for contour in contours:
        hull = cv2.convexHull(contour)
        area = cv2.contourArea(hull)
        if not MIN_AREA_SHARE * w * h <= area <= 0.9 * w * h:
            continue
        quad = _quad(hull, area)
        if quad is not None:
            quad = _refine(quad, edge_points)
            out.append(_describe(quad, support_map, w, h))
        elif cv2.contourArea(contour) >= 0.85 * area:  # a convex region cut by the frame
            polygon = _polygon(hull)
            if polygon is not None:
                out.append(_describe(polygon, support_map, w, h))
    return _deduplicate(out)


def _surface_candidates(small: np.ndarray, edges: np.ndarray) -> list[Candidate]:
    """Candidates from the light, unsaturated regions of the photo (a card's surface)."""
    h, w = edges.shape
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    surface = ((hsv[..., 1] < 30) & (hsv[..., 2] > 140)).astype(np.uint8) * 255
    surface = cv2.morphologyEx(surface, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    surface = cv2.morphologyEx(surface, cv2.MORPH_OPEN, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(surface, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    support_map = cv2.dilate(edges, np.ones((9, 9), np.uint8))
    edge_points = np.argwhere(edges > 0)[:, ::-1].astype(np.float32)
    out = []
    for contour in contours:
        hull = cv2.convexHull(contour)
        area = cv2.contourArea(hull)
        if not MIN_AREA_SHARE * w * h <= area <= 0.9 * w * h:
            continue
        quad = _quad(hull, area)
        if quad is not None:
            out.append(_describe(_refine(quad, edge_points), support_map, w, h))
    return out


def _polygon(hull: np.ndarray) -> np.ndarray | None:
    """A convex polygon of 3–6 corners: what is left of a card cut by the frame."""
    approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True).reshape(-1, 2)
    return approx.astype(np.float32) if 3 <= len(approx) <= 6 else None


def _refine(quad: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Fit a line to the edge pixels along each side and return their intersections.

    The polygon comes from the inside of the closed outline, a few pixels
    inside the card's edge, and its corners sit on the card's rounded corners;
    the lines through the edges meet where the card's corners would be if they
    were square, which is what flattening needs.
    """
    lines = []
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        length = float(np.linalg.norm(b - a))
        direction = (b - a) / max(length, 1e-6)
        rel = points - a
        along = rel @ direction
        across = np.abs(rel @ np.array([-direction[1], direction[0]], np.float32))
        near = points[(along > 0.15 * length) & (along < 0.85 * length)
                      & (across < max(8.0, 0.02 * length))]
        if len(near) < 2:
            return quad
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    corners = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        matrix = np.array([d1, -d2]).T
        if abs(np.linalg.det(matrix)) < 1e-6:
            return quad
        t = np.linalg.solve(matrix, p2 - p1)[0]
        corners.append(p1 + t * d1)
    refined = np.array(corners, np.float32)
    return refined if np.abs(refined - quad).max() < 0.1 * np.ptp(quad[:, 0]) else quad


def _quad(hull: np.ndarray, area: float) -> np.ndarray | None:
    perimeter = cv2.arcLength(hull, True)
    for epsilon in (0.02, 0.035, 0.05):
        approx = cv2.approxPolyDP(hull, epsilon * perimeter, True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            return order_corners(approx.reshape(4, 2).astype(np.float32))
    box = cv2.boxPoints(cv2.minAreaRect(hull))
    if area / max(cv2.contourArea(box), 1.0) >= 0.88:  # a rectangle with rounded corners
        return order_corners(box.astype(np.float32))
    return None


def order_corners(points: np.ndarray) -> np.ndarray:
    """Return the four points clockwise from the top-left one."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # clockwise in image coordinates (y down)
    start = int(np.argmin(ordered.sum(axis=1)))
    return np.roll(ordered, -start, axis=0)


def _describe(quad: np.ndarray, edges: np.ndarray, w: int, h: int) -> Candidate:
    supports, border = [], 0
    for a, b in zip(quad, np.roll(quad, -1, axis=0), strict=True):
        if _on_border(a, b, w, h):
            border += 1
            continue
        supports.append(_side_support(a, b, edges))
    if len(quad) != 4:
        return Candidate(quad, float(cv2.contourArea(quad)) / (w * h),
                         min(supports) if supports else 0.0, max(border, 1), 0.0)
    top, right, bottom, left = (np.linalg.norm(quad[(i + 1) % 4] - quad[i]) for i in range(4))
    horizontal, vertical = (top + bottom) / 2, (left + right) / 2
    ratio = max(horizontal, vertical) / max(min(horizontal, vertical), 1.0)
    # One side may be faint (a light card's edge against bright paper); the
    # other three must really be there.
    support = sorted(supports)[1] if len(supports) == 4 else min(supports, default=0.0)
    return Candidate(quad, float(cv2.contourArea(quad)) / (w * h), support, border,
                     float(ratio), _detail(quad, edges))


def _detail(quad: np.ndarray, edges: np.ndarray) -> float:
    """Share of edge pixels inside the quadrilateral, shrunk to leave its outline out."""
    centre = quad.mean(axis=0)
    inner = (centre + (quad - centre) * 0.85).astype(np.int32)
    mask = np.zeros(edges.shape, np.uint8)
    cv2.fillConvexPoly(mask, inner, 1)
    inside = int(mask.sum())
    return float((edges[mask > 0] > 0).sum()) / inside if inside else 0.0


def _touches_border(candidate: Candidate, shape: tuple[int, ...]) -> bool:
    h, w = shape[:2]
    m = BORDER_MARGIN * max(w, h)
    xs, ys = candidate.corners[:, 0], candidate.corners[:, 1]
    return bool((xs <= m).any() or (ys <= m).any() or (xs >= w - 1 - m).any()
                or (ys >= h - 1 - m).any())


def _on_border(a: np.ndarray, b: np.ndarray, w: int, h: int) -> bool:
    m = BORDER_MARGIN * max(w, h)
    return bool(
        (a[0] <= m and b[0] <= m) or (a[1] <= m and b[1] <= m)
        or (a[0] >= w - 1 - m and b[0] >= w - 1 - m) or (a[1] >= h - 1 - m and b[1] >= h - 1 - m)
    )


def _side_support(a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> float:
    """Share of points along a→b (skipping the rounded corners) that lie on an edge."""
    h, w = edges.shape
    t = np.linspace(0.08, 0.92, 60)
    points = a[None, :] * (1 - t[:, None]) + b[None, :] * t[:, None]
    xs = np.clip(points[:, 0].round().astype(int), 0, w - 1)
    ys = np.clip(points[:, 1].round().astype(int), 0, h - 1)
    return float((edges[ys, xs] > 0).mean())


def _inside(small: Candidate, big: Candidate) -> bool:
    contour = big.corners.reshape(-1, 1, 2)
    return all(cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0
               for x, y in small.corners)


def _deduplicate(candidates: list[Candidate]) -> list[Candidate]:
    kept: list[Candidate] = []
    for c in sorted(candidates, key=lambda c: -c.support):
        if all(c.corners.shape != k.corners.shape or np.abs(c.corners - k.corners).max() > 6
               for k in kept):
            kept.append(c)
    return kept


# ---------------------------------------------------------------------------
# Flattening and measurements on the card
# ---------------------------------------------------------------------------
def flatten(image: np.ndarray, corners: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Warp the quadrilateral ``corners`` of ``image`` to a ``size`` (w, h) rectangle.

    The card is turned landscape: if its first side is the short one, the
    corners are rotated by one so the long side comes first.
    """
    top, right = np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[1])
    if top < right:
        corners = np.roll(corners, -1, axis=0)
    w, h = size
    target = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    return cv2.warpPerspective(image, matrix, (w, h), flags=cv2.INTER_AREA
                               if _mean_side(corners) > w else cv2.INTER_CUBIC)


def _mean_side(corners: np.ndarray) -> float:
    return float(max(np.linalg.norm(corners[1] - corners[0]),
                     np.linalg.norm(corners[2] - corners[1])))


@dataclass(frozen=True)
class Measures:
    sharpness: float  # steepest edges (99.5th percentile gradient) / grey range: contrast-free
    brightness: float  # median grey level of the card, 0..255
    glare: float  # share of the card's pixels that are blown out
    glare_band: float  # same share in the band where the number is printed
    contrast: float  # std of the grey card


def measure(card: np.ndarray, band: tuple[float, float, float, float] | None) -> Measures:
    """Measure the flattened card (its outer 3-4 % left out: the outline's own edge).

    Sharpness is how steep the steepest edges are (printed text has the
    steepest) relative to the card's grey range, on a lightly smoothed copy
    so sensor noise does not pass for detail; it does not depend on the
    exposure, so a dark photo is "too dark", not "blurred".
    """
    h, w = card.shape[:2]
    inner = card[int(h * 0.04):int(h * 0.96), int(w * 0.03):int(w * 0.97)]
    grey = cv2.GaussianBlur(cv2.cvtColor(inner, cv2.COLOR_BGR2GRAY), (3, 3), 0)
    gradient = cv2.magnitude(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    low, high = np.percentile(grey, [5, 95])
    blown = inner.min(axis=2) >= 248
    band_share = 0.0
    if band is not None:
        x0, y0, x1, y1 = band
        region = card[int(h * y0):int(h * y1), int(w * x0):int(w * x1)]
        band_share = float((region.min(axis=2) >= 248).mean()) if region.size else 0.0
    return Measures(
        sharpness=float(np.percentile(gradient, 99.5)) / max(float(high - low), 1.0),
        brightness=float(np.median(grey)),
        glare=float(blown.mean()),
        glare_band=band_share,
        contrast=float(grey.std()),
    )
