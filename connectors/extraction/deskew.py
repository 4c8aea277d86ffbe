"""Small-angle deskew of a scanned page by projection profiles.

Text lines make the dark pixels of a page pile up in narrow bands: projected on the axis across the
lines, the histogram is sharpest when the projection is parallel to them. The angle is searched on a
downscaled, binarised copy (coarse, then fine around the best), for lines running across the page and,
for a page scanned sideways, down it; the OCR engine then turns a sideways or upside-down page itself.
"""

import numpy as np
from PIL import Image

MAX_SKEW_DEGREES = 10.0
_WORKING_SIDE = 1200  # pixels of the longer side of the copy the angle is searched on
_MAX_POINTS = 150_000  # dark pixels sampled: enough for a 0.05° answer, cheap to project
_COARSE_STEP = 0.5
_FINE_STEP = 0.05
# Below this the sharpest angle stands out too little from the others to be trusted (a blank or
# photo-like page): better not to turn it.
_MIN_PEAK_RATIO = 1.05
_MIN_CONTRAST = 48  # grey levels between the darkest and lightest pixel for there to be ink at all


def estimate_skew(image: Image.Image) -> float:
    """Degrees the page's text lines are turned counter-clockwise (0 when none can be trusted)."""
    points = _dark_points(image)
    if points is None:
        return 0.0
    ys, xs = points
    across_angle, across_peak = _best_angle(ys, xs)
    # A sideways page: its lines run down the page. Swapping the axes mirrors the angle.
    down_angle, down_peak = _best_angle(xs, ys)
    if max(across_peak, down_peak) < _MIN_PEAK_RATIO:
        return 0.0
    return across_angle if across_peak >= down_peak else -down_angle


def deskew(image: Image.Image) -> tuple[Image.Image, float]:
    """The page turned straight (white where it turned in, same size) and the skew it had."""
    angle = estimate_skew(image)
    if abs(angle) < _FINE_STEP:
        return image, 0.0
    straight = image.rotate(-angle, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=255)
    return straight, angle


def _dark_points(image: Image.Image) -> tuple[np.ndarray, np.ndarray] | None:
    grey = image.convert("L")
    factor = max(1, round(max(grey.size) / _WORKING_SIDE))
    small = np.asarray(grey.reduce(factor) if factor > 1 else grey)
    if int(small.max()) - int(small.min()) < _MIN_CONTRAST:
        return None  # a blank page: no ink to find lines in
    threshold = _otsu_threshold(small)
    ys, xs = np.nonzero(small < threshold)
    if len(ys) < 100 or len(ys) > 0.5 * small.size:
        return None
    step = len(ys) // _MAX_POINTS + 1  # an even sample, cheaper than a random one
    ys, xs = ys[::step], xs[::step]
    return ys.astype(np.float64), xs.astype(np.float64)


def _otsu_threshold(pixels: np.ndarray) -> float:
    """The grey level that best splits ink from paper (Otsu: the largest between-class variance)."""
    counts = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    levels = np.arange(256, dtype=np.float64)
    weight_dark = np.cumsum(counts)
    weight_light = weight_dark[-1] - weight_dark
    sum_dark = np.cumsum(counts * levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_dark = sum_dark / weight_dark
        mean_light = (sum_dark[-1] - sum_dark) / weight_light
        between = weight_dark * weight_light * (mean_dark - mean_light) ** 2
    return float(np.nanargmax(between)) + 1.0


def _best_angle(rows: np.ndarray, columns: np.ndarray) -> tuple[float, float]:
    """The angle whose projection onto `rows` is sharpest, and how much sharper than the median angle."""
    coarse = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + _COARSE_STEP / 2, _COARSE_STEP)
    coarse_scores = np.array([_sharpness(rows, columns, angle) for angle in coarse])
    best = float(coarse[int(np.argmax(coarse_scores))])
    fine = np.arange(best - _COARSE_STEP, best + _COARSE_STEP + _FINE_STEP / 2, _FINE_STEP)
    fine_scores = np.array([_sharpness(rows, columns, angle) for angle in fine])
    peak_ratio = float(fine_scores.max() / max(np.median(coarse_scores), 1e-9))
    return round(float(fine[int(np.argmax(fine_scores))]), 2), peak_ratio


def _sharpness(rows: np.ndarray, columns: np.ndarray, angle: float) -> float:
    """Sum of squared bin counts of the dark points projected across lines turned by `angle`."""
    radians = np.deg2rad(angle)
    projected = rows * np.cos(radians) + columns * np.sin(radians)
    bins = np.bincount((projected - projected.min()).astype(np.int64))
    return float(np.dot(bins, bins))
