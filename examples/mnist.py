"""Handwritten digits: the network of backprop's MNIST tutorial, trained on real data.

Two logistic hidden layers of 300 and 100 units, a softmax output and a cross-entropy loss, as a
``Model`` record of three ``nn.Linear`` layers, trained with mini-batch Adam (a tqdm progress bar
with the loss and speed on a terminal). With no arguments it uses scikit-learn's bundled 8x8
digits (1,797 images, so the input layer has 64 units); with ``--idx DIR`` it reads the real
MNIST IDX files (``train-images-idx3-ubyte`` and the rest, plain or gzipped) and the input layer
has 784.

Images of unsigned bytes (MNIST's) are scaled by 1/255 to [0, 1]; images stored as floats must
already be in [0, 1] and are used as they are. Bad arguments or data (labels that are not digits,
test images of another size than the training images) stop it before training, with one line on
standard error and exit status 2.

    python examples/mnist.py                  # digits, a few seconds
    python examples/mnist.py --idx ~/mnist    # MNIST from IDX files
    python examples/mnist.py --save net.npz --plot digits.png   # checkpoint, loss-curve PNG
"""

from __future__ import annotations

import argparse
import gzip
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from typedprop import BVar, Model, auto, backprop, nn
from typedprop.checkpoint import save
from typedprop.data import batches
from typedprop.functions import cross_entropy, logistic
from typedprop.linalg import Mat, as_mat
from typedprop.optim import Adam

HIDDEN1: Final = 300
HIDDEN2: Final = 100
CLASSES: Final = 10

B = TypeVar("B", bound=int)  # the batch size
T = TypeVar("T")

Array = NDArray[np.float64]


class Network(Model):
    """The classifier, three ``nn.Linear`` layers; the input size depends on the data (64, 784)."""

    layer1: nn.Linear[Any, Literal[300]]
    layer2: nn.Linear[Literal[300], Literal[100]]
    layer3: nn.Linear[Literal[100], Literal[10]]

    def __call__(self, x: BVar[Mat[Any, Any]]) -> BVar[Mat[Any, Literal[10]]]:
        """Class scores for a batch of images, one per row."""
        h1: BVar[Mat[Any, Literal[300]]] = logistic((self ^ Network.layer1)(x))
        h2 = logistic((self ^ Network.layer2)(h1))
        return (self ^ Network.layer3)(h2)


def loss(net: BVar[Network], x: Mat[B, Any], targets: Mat[B, Literal[10]]) -> BVar[float]:
    """Mean cross-entropy over the batch."""
    return cross_entropy(net(auto(x)), targets) * (1.0 / len(x))


def predict(net: Network, x: Mat[B, Any]) -> NDArray[np.intp]:
    """The most likely class of each image."""
    scores = net(auto(x)).value
    classes: NDArray[np.intp] = np.argmax(scores.array, axis=1)
    return classes


def initial(inputs: int, rng: np.random.Generator) -> Network:
    """Glorot-uniform weights (``nn.Linear``'s default), biases zero."""
    return Network(
        nn.Linear[Any, Literal[300]].init(rng, inputs, HIDDEN1),
        nn.Linear[Literal[300], Literal[100]].init(rng, HIDDEN1, HIDDEN2),
        nn.Linear[Literal[100], Literal[10]].init(rng, HIDDEN2, CLASSES),
    )


# --- data ---


class DataError(ValueError):
    """Data the network cannot be trained or tested on; the message says which and why."""


class IdxError(DataError):
    """A file that is not a well-formed IDX file."""


_IDX_TYPES: Final[dict[int, np.dtype[Any]]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: Path) -> NDArray[Any]:
    """An IDX file (the MNIST format), plain or gzipped, as an array of its declared shape.

    Raises:
        IdxError: a bad magic number, an unknown element type, or a size that does not match
            the header (a truncated or padded file); the message names the file.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise IdxError(f"{path}: a damaged gzip file ({e})") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise IdxError(f"{path}: not an IDX file (the magic number must start with two zeros)")
    dtype = _IDX_TYPES.get(raw[2])
    if dtype is None:
        raise IdxError(f"{path}: unknown IDX element type 0x{raw[2]:02x}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxError(f"{path}: truncated header (expected {ndim} dimensions)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise IdxError(
            f"{path}: the header says {shape} ({expected} bytes of data) but the file has "
            f"{len(raw) - header} bytes of data"
        )
    data: NDArray[Any] = np.frombuffer(raw, dtype, offset=header).reshape(shape)
    return data


def _idx_file(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
        if (directory / name).exists():
            return directory / name
    raise FileNotFoundError(f"{directory}: no {stem} (or {stem}.gz)")


def _pixels(images: NDArray[Any], path: Path) -> Array:
    """IDX images as rows of pixels in [0, 1]: bytes scaled by 1/255, floats checked as is."""
    if images.ndim != 3:
        raise IdxError(
            f"{path}: images need three dimensions (count, rows, columns), found shape "
            f"{images.shape}"
        )
    rows = images.reshape(len(images), images.shape[1] * images.shape[2])
    if images.dtype.kind == "f":
        if rows.size and not (np.isfinite(rows).all() and rows.min() >= 0.0 and rows.max() <= 1.0):
            raise IdxError(
                f"{path}: float images must lie in [0, 1] (they are used unscaled), found "
                f"values from {rows.min()} to {rows.max()}"
            )
        return rows.astype(np.float64)
    if rows.size and (rows.min() < 0 or rows.max() > 255):
        raise IdxError(
            f"{path}: integer images must be bytes 0-255 (they are scaled by 1/255), found "
            f"values from {rows.min()} to {rows.max()}"
        )
    scaled: Array = rows / 255.0
    return scaled


def load_mnist(directory: Path) -> tuple[Array, NDArray[Any], Array, NDArray[Any]]:
    """MNIST's training and test images (in [0, 1], one row each) and labels."""
    parts: list[NDArray[Any]] = []
    for prefix in ("train", "t10k"):
        images_path = _idx_file(directory, f"{prefix}-images-idx3-ubyte")
        labels_path = _idx_file(directory, f"{prefix}-labels-idx1-ubyte")
        images, labels = read_idx(images_path), read_idx(labels_path)
        if labels.ndim != 1 or len(images) != len(labels):
            raise IdxError(
                f"{directory}: {prefix} images of shape {images.shape} do not match labels "
                f"of shape {labels.shape}"
            )
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not whole.all():
            first = int(np.argmin(whole))
            raise IdxError(
                f"{labels_path}: labels must be whole numbers; label {first} is {labels[first]}"
            )
        parts += [_pixels(images, images_path), labels.astype(np.intp)]
    return parts[0], parts[1], parts[2], parts[3]


def check_data(
    x_train: Array, y_train: NDArray[Any], x_test: Array, y_test: NDArray[Any]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The labels as class numbers, once the data is known to fit the network.

    Raises:
        DataError: an empty set, labels that are not whole numbers 0-9, or test images with
            another number of pixels than the training images.
    """
    if len(x_train) == 0 or len(x_test) == 0:
        raise DataError(
            f"no data: {len(x_train)} training and {len(x_test)} test images; both are needed"
        )
    if x_test.shape[1] != x_train.shape[1]:
        raise DataError(
            f"test images have {x_test.shape[1]} pixels but training images have "
            f"{x_train.shape[1]}; both sets need images of one size"
        )
    classes = []
    for name, labels in (("training", y_train), ("test", y_test)):
        bad = np.flatnonzero(~np.isin(labels, np.arange(CLASSES)))
        if bad.size:
            raise DataError(
                f"{name} labels must be digits 0-{CLASSES - 1}, found {labels[bad[0]]} at "
                f"index {bad[0]} ({bad.size} of {len(labels)} out of range)"
            )
        classes.append(labels.astype(np.intp))
    return classes[0], classes[1]


def load_digits_split(rng: np.random.Generator) -> tuple[Array, NDArray[Any], Array, NDArray[Any]]:
    """scikit-learn's 8x8 digits (scaled to [0, 1]), 75% for training and 25% for testing."""
    try:
        from sklearn.datasets import load_digits
    except ImportError as e:
        raise DataError(
            "the digits need scikit-learn: pip install -e '.[examples]' (or use --idx DIR)"
        ) from e

    digits = load_digits()
    x = np.asarray(digits.data, dtype=np.float64) / 16.0
    y = np.asarray(digits.target, dtype=np.intp)
    order = rng.permutation(len(x))
    cut = (3 * len(x)) // 4
    return x[order[:cut]], y[order[:cut]], x[order[cut:]], y[order[cut:]]


# --- training ---


def progress_bar(
    items: Iterable[T], total: int, description: str, quiet: bool
) -> Iterable[T] | tqdm[T]:
    """``items`` behind a tqdm bar on standard error, or as they are when ``quiet``.

    The bar shows the speed and (``set_postfix``) the loss; tqdm leaves it out when standard
    error is not a terminal (a log, a test run).
    """
    if quiet:
        return items
    return tqdm(items, total=total, desc=description, unit="batch", leave=False, disable=None)


def batch_loss(net: BVar[Network], x: Mat[B, Any], labels: NDArray[np.intp]) -> BVar[float]:
    """The loss on one batch of images (rows of ``x``) and their labels."""
    targets: Mat[Any, Literal[10]] = as_mat(np.eye(CLASSES)[labels], len(labels), CLASSES)
    return loss(net, x, targets)


def load(args: argparse.Namespace, rng: np.random.Generator) -> tuple[Array, Any, Array, Any]:
    """The training and test sets the arguments name, checked to fit the network."""
    if args.idx is not None:
        x_train, y_train, x_test, y_test = load_mnist(Path(args.idx))
        source = f"MNIST IDX files in {args.idx}"
    else:
        x_train, y_train, x_test, y_test = load_digits_split(rng)
        source = "scikit-learn's 8x8 digits"
    y_train, y_test = check_data(x_train, y_train, x_test, y_test)
    print(
        f"{len(x_train)} training and {len(x_test)} test images of {x_train.shape[1]} pixels "
        f"from {source}",
        flush=True,
    )
    return x_train, y_train, x_test, y_test


def train(
    args: argparse.Namespace, data: tuple[Array, Any, Array, Any], rng: np.random.Generator
) -> tuple[Network, list[float], float]:
    """Mini-batch Adam for the chosen number of epochs; the test accuracy after each."""
    x_train, y_train, x_test, y_test = data
    net = initial(x_train.shape[1], rng)
    opt = Adam(lr=args.lr)
    state = opt.init(net)
    history: list[float] = []
    images: Mat[Any, Any] = Mat(x_train)
    x_test_m: Mat[Any, Any] = Mat(x_test)
    epochs = 2 if args.quick else args.epochs
    per_epoch = -(-len(x_train) // args.batch)
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        bar = progress_bar(
            batches(images, y_train, batch_size=args.batch, rng=rng),
            per_epoch,
            f"epoch {epoch}/{epochs}",
            args.quiet,
        )
        for x, labels in bar:
            value, grad = backprop(partial(batch_loss, x=x, labels=labels), net)
            state, net = opt.step(state, net, grad)
            history.append(value)
            if isinstance(bar, tqdm):  # drawn at tqdm's next redraw, and at once the first time
                bar.set_postfix(loss=f"{value:.4f}", refresh=len(history) == 1)
        accuracy = float(np.mean(predict(net, x_test_m) == y_test))
        print(f"epoch {epoch}: test accuracy {accuracy:.2%}", flush=True)
    return net, history, accuracy


def plot(path: str, net: Network, history: list[float], x_test: Array, y_test: Any) -> None:
    """The loss curve and a grid of misclassified test digits, as a PNG."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("--plot needs matplotlib (pip install matplotlib); skipped")
        return
    guessed = predict(net, Mat(x_test))
    wrong = np.flatnonzero(guessed != y_test)[:16]
    side = int(np.sqrt(x_test.shape[1]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    steps = np.arange(1, len(history) + 1)
    axes[0].plot(steps, history, alpha=0.4, label="each batch")
    width = min(20, len(history))
    smooth = np.convolve(history, np.ones(width) / width, mode="valid")
    axes[0].plot(steps[width - 1 :], smooth, label=f"mean of {width}")
    axes[0].legend()
    axes[0].set_xlabel("batch")
    axes[0].set_ylabel("loss")
    axes[0].set_title("training loss")
    grid = np.ones((4 * (side + 1), 4 * (side + 1)))
    for k, i in enumerate(wrong):
        r, c = divmod(k, 4)
        grid[r * (side + 1) : r * (side + 1) + side, c * (side + 1) : c * (side + 1) + side] = (
            1.0 - x_test[i].reshape(side, side)
        )
    axes[1].imshow(grid, cmap="gray")
    axes[1].set_title(f"{len(wrong)} misclassified: " + " ".join(str(guessed[i]) for i in wrong))
    axes[1].axis("off")
    fig.tight_layout()
    fig.savefig(path)
    print(f"wrote {path}")


def _positive(kind: type[int] | type[float]) -> Any:
    """An argparse type: a number of ``kind`` greater than zero (and finite)."""

    def parse(text: str) -> int | float:
        try:
            number = kind(text)
        except ValueError:
            expected = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}") from None
        if not (number > 0 and np.isfinite(number)):
            raise argparse.ArgumentTypeError(f"must be greater than 0, found {text}")
        return number

    return parse


def _writable(text: str) -> str:
    """An argparse type: a file path whose directory exists, checked before training."""
    if not Path(text).expanduser().resolve().parent.is_dir():
        raise argparse.ArgumentTypeError(f"no directory to write {text} in")
    return text


def arguments(description: str | None) -> argparse.ArgumentParser:
    """The command line's options (``examples/parallel_mnist.py`` adds its own to them)."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--idx", help="a directory of MNIST IDX files (default: sklearn digits)")
    parser.add_argument(
        "--epochs", type=_positive(int), default=12, help="passes over the data (12)"
    )
    parser.add_argument("--batch", type=_positive(int), default=16, help="images per step (16)")
    parser.add_argument("--lr", type=_positive(float), default=0.01, help="Adam's rate (0.01)")
    parser.add_argument("--seed", type=int, default=0, help="shuffles and initial weights (0)")
    parser.add_argument("--quick", action="store_true", help="two epochs, for a smoke test")
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar (it shows only on a terminal)"
    )
    parser.add_argument(
        "--save", type=_writable, help="write the trained network to this .npz checkpoint"
    )
    parser.add_argument(
        "--plot", type=_writable, help="write a PNG of the loss curve and misclassified digits"
    )
    return parser


def load_or_exit(
    parser: argparse.ArgumentParser, args: argparse.Namespace, rng: np.random.Generator
) -> tuple[Array, Any, Array, Any]:
    """The data the arguments name, or the program's exit with the reason it cannot be read."""
    try:
        return load(args, rng)
    except (DataError, OSError) as e:
        parser.exit(2, f"{parser.prog}: error: {e}\n")


def report(
    args: argparse.Namespace,
    data: tuple[Array, Any, Array, Any],
    net: Network,
    history: list[float],
    accuracy: float,
    started: float,
) -> None:
    """The final accuracy and time; the network saved and the plot drawn if asked for."""
    print(f"test accuracy {accuracy:.2%} after {time.perf_counter() - started:.1f} s")
    if args.save:
        save(args.save, net)
        print(f"saved {args.save}")
    if args.plot:
        plot(args.plot, net, history, data[2], data[3])


def main(argv: list[str] | None = None) -> float:
    """Parse the arguments, load and check the data, train, report; the final test accuracy."""
    parser = arguments(__doc__)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    data = load_or_exit(parser, args, rng)
    started = time.perf_counter()
    net, history, accuracy = train(args, data, rng)
    report(args, data, net, history, accuracy, started)
    return accuracy


if __name__ == "__main__":
    main()
