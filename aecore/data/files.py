"""Datasets from the user's own files: a folder or .zip of images, an .npz of arrays, IDX files.

Everything a user hands us is read defensively: no pickles (npz is opened with allow_pickle=False),
a size cap on every file and zip member, Pillow's decompression-bomb guard turned into an error,
and each failure names the file so the user knows which one to fix.
"""

from __future__ import annotations

import gzip
import io
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable

import numpy as np

from aecore.data.dataset import ImageDataset
from aecore.data.registry import register_dataset

if TYPE_CHECKING:
    from PIL import Image

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
MAX_FILE_BYTES = 64 * 2**20  # one image file; far above any photo, far below a memory problem
MAX_IDX_BYTES = 2**30  # an unpacked IDX file (MNIST's training images are 47 MB)
_IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

# (path parts relative to the dataset root, name shown in errors, function returning the file's bytes)
_Entry = tuple[tuple[str, ...], str, Callable[[], bytes]]


def _existing_path(path: str | Path | None, option: str = "path") -> Path:
    if path is None or str(path).strip() == "":
        raise ValueError(f"give {option}= the file or folder to load")
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise ValueError(f"{option}={str(path)!r} does not exist; check the spelling and the working folder")
    return resolved


@register_dataset("folder")
def load_folder(*, path: str | Path, image_size: int = 28, mode: str = "L") -> ImageDataset:
    """Your own images: a folder or .zip of PNG/JPEG files, searched recursively.

    Images in first-level sub-folders are labelled by the sub-folder's name (classes sorted by name);
    images all at the top level are unlabelled. A lone wrapping folder (as zip tools add) is skipped.
    Every image is resized to image_size x image_size (aspect ratio not kept) in mode "L" (gray) or
    "RGB"; transparent parts become black.
    """
    if isinstance(image_size, bool) or not isinstance(image_size, int) or not 4 <= image_size <= 256:
        raise ValueError(f"image_size must be a whole number of pixels from 4 to 256; got {image_size!r}")
    if mode not in ("L", "RGB"):
        raise ValueError(f'mode must be "L" (gray) or "RGB"; got {mode!r}')
    source = _existing_path(path)
    if source.is_dir():
        return _load_entries(_folder_entries(source), source, image_size, mode)
    if zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            return _load_entries(_zip_entries(archive), source, image_size, mode)
    raise ValueError(f"{source.name} is neither a folder nor a .zip file; give a folder or .zip of images")


def _load_entries(entries: list[_Entry], source: Path, image_size: int, mode: str) -> ImageDataset:
    if not entries:
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise ValueError(f"no images found in {source} (looked for {suffixes}, in sub-folders too)")
    arrays = [_decode(read(), shown, image_size, mode) for _, shown, read in entries]
    labels, classes = _labels_from_parts([parts for parts, _, _ in entries], source)
    return ImageDataset.from_arrays(np.stack(arrays), labels, classes, name=source.stem)


def _folder_entries(root: Path) -> list[_Entry]:
    entries = []
    for file in sorted(root.rglob("*")):
        parts = file.relative_to(root).parts
        if file.is_file() and file.suffix.lower() in IMAGE_SUFFIXES and not any(p.startswith(".") for p in parts):
            entries.append((parts, str(file.relative_to(root)), _file_reader(file)))
    return entries


def _file_reader(file: Path) -> Callable[[], bytes]:
    def read() -> bytes:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise ValueError(f"{file.name} is larger than {MAX_FILE_BYTES // 2**20} MB; shrink it first")
        return file.read_bytes()

    return read


def _zip_entries(archive: zipfile.ZipFile) -> list[_Entry]:
    entries = []
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        parts = PurePosixPath(info.filename).parts
        hidden = any(p.startswith(".") or p == "__MACOSX" for p in parts)  # macOS adds these to zips
        if info.is_dir() or hidden or PurePosixPath(info.filename).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if info.file_size > MAX_FILE_BYTES:
            raise ValueError(f"{info.filename} unpacks to over {MAX_FILE_BYTES // 2**20} MB; shrink it first")
        entries.append((parts, info.filename, _zip_reader(archive, info)))
    return entries


def _zip_reader(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], bytes]:
    def read() -> bytes:
        try:
            return archive.read(info)
        except (RuntimeError, zipfile.BadZipFile, OSError, EOFError):  # encrypted or damaged member
            raise ValueError(f"{info.filename} cannot be unpacked (damaged or password-protected); "
                             "zip the images again without a password") from None

    return read


def _labels_from_parts(all_parts: list[tuple[str, ...]], source: Path) -> tuple[list[int] | None, list[str] | None]:
    while all(len(p) > 1 for p in all_parts) and len({p[0] for p in all_parts}) == 1:
        all_parts = [p[1:] for p in all_parts]  # skip a lone wrapping folder
    depths = {len(p) > 1 for p in all_parts}
    if depths == {False}:
        return None, None
    if depths == {True, False}:
        raise ValueError(f"{source.name} has images both at its top level and in sub-folders; put every image "
                         "in a sub-folder named after its class, or all of them at the top level")
    classes = sorted({p[0] for p in all_parts})
    return [classes.index(p[0]) for p in all_parts], classes


def _pillow():
    """Pillow's Image and ImageOps modules, imported on first use: Pillow is an extra (`aecore[app]`),
    needed only to read image files, so `import aecore` and training on arrays run without it."""
    try:
        from PIL import Image, ImageOps
    except ImportError as error:
        raise ImportError("reading image files needs Pillow, which the core install leaves out; "
                          "install it with: pip install 'aecore[app]' (or pip install pillow)") from error
    return Image, ImageOps


def _decode(data: bytes, shown: str, image_size: int, mode: str) -> np.ndarray:
    """File bytes -> uint8 (H, W) or (H, W, 3), resized; a clear error naming the file otherwise."""
    Image, ImageOps = _pillow()
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; we refuse both.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image = ImageOps.exif_transpose(image)  # phone photos store their rotation in EXIF
                image = _flatten_alpha(image).convert(mode)
                image = image.resize((image_size, image_size), Image.Resampling.LANCZOS)
                return np.asarray(image, dtype=np.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"{shown} is too large (over {Image.MAX_IMAGE_PIXELS} pixels) to load safely; "
                         "shrink it first") from None
    except (Image.UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ValueError(f"{shown} is not a readable image; remove it or replace it with a PNG or JPEG") from None


def _flatten_alpha(image: Image.Image) -> Image.Image:
    Image, _ = _pillow()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if not has_alpha:
        return image
    rgba = image.convert("RGBA")
    return Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)  # onto black


@register_dataset("npz")
def load_npz(*, path: str | Path) -> ImageDataset:
    """Arrays saved with numpy.savez: `x` the images (any layout from_arrays accepts), optional `y`
    integer labels and optional `classes` (their names)."""
    source = _existing_path(path)
    try:
        with np.load(source, allow_pickle=False) as archive:  # never unpickle a user's file
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile, AttributeError, TypeError):
        raise ValueError(f"{source.name} is not a readable .npz file; save one with "
                         "numpy.savez(path, x=images, y=labels) (no object arrays)") from None
    if "x" not in arrays:
        raise ValueError(f"{source.name} has no array named 'x' (found: {', '.join(arrays) or 'none'}); "
                         "save the images as x=..., e.g. numpy.savez(path, x=images, y=labels)")
    classes = arrays.get("classes")
    return ImageDataset.from_arrays(arrays["x"], arrays.get("y"),
                                    None if classes is None else [str(c) for c in classes], name=source.stem)


@register_dataset("idx")
def load_idx(*, images: str | Path, labels: str | Path | None = None) -> ImageDataset:
    """MNIST-format IDX files (optionally gzipped): `images` (N, H, W) and optional `labels` (N,)."""
    x = read_idx(_existing_path(images, "images"))
    y = None if labels is None else read_idx(_existing_path(labels, "labels"))
    return ImageDataset.from_arrays(x, y, name=Path(images).name.split(".")[0])


def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (http://yann.lecun.com/exdb/mnist/), gzipped or not, into a numpy array.

    Header: two zero bytes, a type code (0x08 = uint8), the number of dimensions, then each
    dimension as a big-endian uint32; the values follow, big-endian.
    """
    path = Path(path)
    with open(path, "rb") as file:
        gzipped = file.read(2) == b"\x1f\x8b"  # gzip's magic bytes, whatever the file is called
    with (gzip.open(path, "rb") if gzipped else open(path, "rb")) as file:
        try:
            raw = file.read(MAX_IDX_BYTES + 1)
        except (OSError, EOFError):
            raise ValueError(f"{path.name} looks gzipped but cannot be unpacked; it may be damaged") from None
    if len(raw) > MAX_IDX_BYTES:
        raise ValueError(f"{path.name} unpacks to over {MAX_IDX_BYTES // 2**20} MB; that is too large to load")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path.name} is not an IDX file: its magic number is 0x{raw[:4].hex()}, expected "
                         "0x0000080N (uint8 data, N dimensions), e.g. 0x00000803 for images")
    ndim, header = raw[3], 4 + 4 * raw[3]
    if len(raw) < header:
        raise ValueError(f"{path.name} is cut short inside its header; the file is damaged")
    dims = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    count = int(np.prod(dims)) if ndim else 0
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(f"{path.name} holds {len(raw) - header} bytes of values but its header announces "
                         f"{dims} values of {dtype.itemsize} byte(s); the file is damaged or cut short")
    return np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(dims).astype(dtype.newbyteorder("="))
