"""The examples run, and their outputs are what they promise; the IDX reader is strict."""

from __future__ import annotations

import ast
import gzip
import io
import re
import runpy
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from examples import char_model, custom_op, extensible_network, mnist, north_star, spiral
from typedprop import ShapeError, grad_bp
from typedprop.checkpoint import load
from typedprop.optim import Adam

ROOT = Path(__file__).resolve().parent.parent


def test_mnist_quick_run_on_digits_beats_80_percent(tmp_path: Path) -> None:
    """The digits demo's --quick run trains, saves a checkpoint that loads back, and plots."""
    save_to, plot_to = tmp_path / "net.npz", tmp_path / "digits.png"
    accuracy = mnist.main(["--quick", "--save", str(save_to), "--plot", str(plot_to)])
    assert accuracy > 0.80
    back = load(save_to, mnist.Network)
    assert back.layer1.weight.shape == (300, 64)
    assert plot_to.stat().st_size > 0


def write_idx(path: Path, data: np.ndarray, *, gz: bool = False, floats: bool = False) -> None:
    """An IDX file of unsigned bytes (as MNIST's), or of big-endian 32-bit floats."""
    code, dtype = (0x0D, ">f4") if floats else (0x08, "u1")
    header = bytes([0, 0, code, data.ndim]) + b"".join(struct.pack(">I", n) for n in data.shape)
    raw = header + data.astype(dtype).tobytes()
    path.write_bytes(gzip.compress(raw) if gz else raw)


def small_mnist(directory: Path, gz: bool) -> None:
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    for prefix, n in (("train", 40), ("t10k", 10)):
        labels = rng.integers(0, 10, size=n)
        images = np.zeros((n, 28, 28), dtype=np.uint8)
        for i, label in enumerate(labels):  # a bright square whose place says the label
            images[i, 2 * label : 2 * label + 6, 4:10] = 255
        write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images, gz=gz)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels, gz=gz)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_reader_reads_plain_and_gzipped_files(tmp_path: Path, gz: bool) -> None:
    """load_mnist reads the four files, scaled to [0, 1], one image per row."""
    small_mnist(tmp_path, gz)
    x_train, y_train, x_test, y_test = mnist.load_mnist(tmp_path)
    assert x_train.shape == (40, 784) and x_test.shape == (10, 784)
    assert y_train.shape == (40,) and y_test.dtype == np.intp
    assert x_train.max() == 1.0 and x_train.min() == 0.0


def test_mnist_trains_from_idx_files(tmp_path: Path) -> None:
    """--idx trains the 784-input network on IDX data."""
    small_mnist(tmp_path, gz=True)
    accuracy = mnist.main(["--idx", str(tmp_path), "--quick", "--batch", "8"])
    assert 0.0 <= accuracy <= 1.0


def test_idx_reader_rejects_bad_files(tmp_path: Path) -> None:
    """Wrong magic, an unknown type, a truncated file and a padded file are IdxErrors."""
    good = tmp_path / "good"
    write_idx(good, np.arange(12).reshape(3, 4))
    raw = good.read_bytes()
    cases = {
        "magic": (b"\x01" + raw[1:], "not an IDX file"),
        "type": (raw[:2] + b"\x07" + raw[3:], "unknown IDX element type 0x07"),
        "truncated": (raw[:-3], r"\(3, 4\) \(12 bytes of data\) but the file has 9"),
        "padded": (raw + b"\x00", "but the file has 13"),
        "header": (raw[:6], "truncated header"),
        "gzip": (gzip.compress(raw)[:-8], "damaged gzip"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(mnist.IdxError, match=message):
            mnist.read_idx(path)


def test_idx_labels_must_match_images(tmp_path: Path) -> None:
    """Image and label files of different lengths are an IdxError naming both shapes."""
    small_mnist(tmp_path, gz=False)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(9))
    with pytest.raises(mnist.IdxError, match=r"\(10, 28, 28\).*\(9,\)"):
        mnist.load_mnist(tmp_path)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--epochs", "0"], "argument --epochs: must be greater than 0, found 0"),
        (["--batch", "0"], "argument --batch: must be greater than 0, found 0"),
        (["--batch", "2.5"], "argument --batch: expected a whole number, found '2.5'"),
        (["--lr", "-0.1"], "argument --lr: must be greater than 0, found -0.1"),
        (
            ["--save", "no/such/dir/net.npz"],
            "argument --save: no directory to write no/such/dir/net.npz in",
        ),
    ],
)
def test_mnist_rejects_bad_arguments_before_training(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad argument is argparse's one-line error and exit status 2, before any data loads."""
    with pytest.raises(SystemExit) as exit_:
        mnist.main(args)
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert err.splitlines()[-1].endswith(f": error: {message}")
    assert out == ""


def test_mnist_user_error_is_one_line_without_traceback() -> None:
    """Run as a program, ``--epochs 0`` exits with status 2 and no traceback."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "mnist.py"), "--epochs", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].endswith("--epochs: must be greater than 0, found 0")
    assert result.stdout == ""


def bad_labels(directory: Path) -> None:
    write_idx(directory / "train-labels-idx1-ubyte", np.r_[np.zeros(39), 12])


def small_test_images(directory: Path) -> None:
    write_idx(directory / "t10k-images-idx3-ubyte", np.zeros((10, 20, 20)))


def unscaled_floats(directory: Path) -> None:
    write_idx(directory / "t10k-images-idx3-ubyte", np.full((10, 28, 28), 255.0), floats=True)


def no_test_images(directory: Path) -> None:
    write_idx(directory / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28)))
    write_idx(directory / "t10k-labels-idx1-ubyte", np.zeros(0))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (
            bad_labels,
            r"training labels must be digits 0-9, found 12 at index 39 \(1 of 40 out of range\)",
        ),
        (small_test_images, "test images have 400 pixels but training images have 784"),
        (unscaled_floats, r"float images must lie in \[0, 1\] .* from 255.0 to 255.0"),
        (no_test_images, "no data: 40 training and 0 test images"),
    ],
)
def test_mnist_rejects_bad_data_before_training(
    tmp_path: Path,
    spoil: Callable[[Path], None],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Data the network cannot use is one line on stderr and exit status 2, before epoch 1."""
    small_mnist(tmp_path, gz=False)
    spoil(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        mnist.main(["--idx", str(tmp_path), "--epochs", "1"])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert len(err.splitlines()) == 1 and re.search(message, err), err
    assert "epoch" not in out


def test_float_idx_images_are_used_unscaled(tmp_path: Path) -> None:
    """Float images already in [0, 1] keep their values; byte images are divided by 255."""
    small_mnist(tmp_path, gz=False)
    pixels = np.random.default_rng(1).uniform(size=(10, 28, 28)).astype(np.float32)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", pixels, floats=True)
    x_train, _, x_test, _ = mnist.load_mnist(tmp_path)
    assert np.array_equal(x_test, pixels.reshape(10, -1))
    assert set(np.unique(x_train)) == {0.0, 1.0}


def test_mnist_says_what_it_trained_on(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The run names its data and its sizes before training, and the accuracy after."""
    small_mnist(tmp_path, gz=False)
    mnist.main(["--idx", str(tmp_path), "--epochs", "1"])
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0]
        == f"40 training and 10 test images of 784 pixels from MNIST IDX files in {tmp_path}"
    )
    assert lines[-1].startswith("test accuracy ")


class _Terminal(io.StringIO):
    """Standard error as a terminal: tqdm draws its bar only there."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_mnist_progress_bar_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quiet: bool
) -> None:
    """On a terminal the bar shows the epoch, the loss and the speed; --quiet leaves it out."""
    small_mnist(tmp_path, gz=False)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    mnist.main(["--idx", str(tmp_path), "--epochs", "1", "--batch", "8"] + ["--quiet"] * quiet)
    drawn = terminal.getvalue()
    if quiet:
        assert drawn == ""
    else:
        assert "epoch 1/1" in drawn and "batch/s" in drawn
        assert re.search(r"loss=\d+\.\d{4}", drawn), drawn


def test_mnist_draws_no_bar_when_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Standard error to a file or a pipe (a log, a test run) gets no progress bar."""
    small_mnist(tmp_path, gz=False)
    mnist.main(["--idx", str(tmp_path), "--epochs", "1"])
    assert capsys.readouterr().err == ""


def test_quickstart_is_the_readme_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """examples/quickstart.py is the README's first code block, verbatim, runs and says so."""
    readme = (ROOT / "README.md").read_text()
    source = (ROOT / "examples" / "quickstart.py").read_text()
    assert f"```python\n{source}```" in readme
    monkeypatch.setattr(sys, "argv", ["quickstart.py"])
    runpy.run_path(str(ROOT / "examples" / "quickstart.py"), run_name="__main__")
    step, derivatives = capsys.readouterr().out.splitlines()
    before, after = (float(word) for word in step.split()[-3::2])
    assert step.startswith("one step of gradient descent on a Layer: loss ") and after < before
    assert derivatives == "at 2: d/dv (v*v + 3v) = 7.0, d2/dv2 v**3 = 12.0"


EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.py") if p.stem != "__init__")


def test_examples_are_all_listed() -> None:
    """The --help test below covers every example there is."""
    assert EXAMPLES == [
        "char_model",
        "custom_op",
        "extensible_network",
        "mnist",
        "north_star",
        "parallel_mnist",
        "quickstart",
        "spiral",
    ]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_explains_itself_on_help(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--help`` prints the module docstring's whole first paragraph and exits before work."""
    path = ROOT / "examples" / f"{name}.py"
    monkeypatch.setattr(sys, "argv", [path.name, "--help"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(str(path), run_name="__main__")
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    doc = ast.get_docstring(ast.parse(path.read_text()))
    assert doc is not None
    first = " ".join(doc.split("\n\n")[0].split())
    assert first.endswith(".") and first in out, out
    assert out.startswith(f"usage: {path.name}")


def test_north_star_learns(capsys: pytest.CaptureFixture[str]) -> None:
    """The design's north-star program runs and its error falls over its 30 steps."""
    north_star.main([])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["0", "10", "20", "30"]
    errors = [float(line.split()[-1]) for line in lines]
    assert errors[-1] < errors[0] / 5


def test_custom_op_checks_and_fits(capsys: pytest.CaptureFixture[str]) -> None:
    """The custom op passes check_grad and the robust fit finds the true weights."""
    custom_op.main([])
    out = capsys.readouterr().out
    assert "agree with finite differences" in out
    assert "robust fit: [ 1.03 -1.98  0.52]" in out


def test_extensible_network_takes_exactly_the_steps_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--steps 3`` is three optimizer steps (not four), and the output says so."""
    taken = []
    step = Adam.step

    def counted(self: Any, *args: Any) -> Any:
        taken.append(1)
        return step(self, *args)

    monkeypatch.setattr(Adam, "step", counted)
    extensible_network.main(["--hidden", "4", "--steps", "3"])
    assert len(taken) == 3
    assert capsys.readouterr().out.splitlines()[-1].endswith(" after 3 steps")


def test_spiral_takes_exactly_the_steps_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--steps 3`` is three gradient steps (not four), and the output says so."""
    taken = []

    def counted(*args: Any) -> Any:
        taken.append(1)
        return grad_bp(*args)

    monkeypatch.setattr("examples.spiral.grad_bp", counted)
    spiral.main(["--steps", "3"])
    assert len(taken) == 3
    assert capsys.readouterr().out.splitlines()[-1].endswith(" after 3 steps")


@pytest.mark.parametrize(
    ("main", "args", "message"),
    [
        (extensible_network.main, ["--steps", "0"], "argument --steps: must be at least 1"),
        (extensible_network.main, ["--hidden", "0"], "argument --hidden: must be at least 1"),
        (spiral.main, ["--steps", "0"], "argument --steps: must be at least 1"),
        (char_model.main, ["--steps", "0"], "argument --steps: must be at least 1"),
        (char_model.main, ["--length", "1"], "argument --length: must be at least 2"),
        (spiral.main, ["--steps", "x"], "argument --steps: expected a whole number"),
    ],
)
def test_training_examples_reject_bad_counts(
    main: Callable[[list[str]], float],
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Zero steps or a zero-width layer is argparse's error and exit status 2."""
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_extensible_network_of_any_depth() -> None:
    """Networks of one to three hidden layers train; misfitting layers are refused."""
    assert extensible_network.main(["--hidden", "16", "--steps", "200"]) > 0.9
    assert extensible_network.main(["--hidden", "8", "8", "8", "--steps", "200"]) > 0.6
    rng = np.random.default_rng(0)
    net = extensible_network.make_network([2, 4, 3], rng)
    with pytest.raises(ShapeError, match=r"layers\[1\]: expects 5 inputs but layer 0 has 4"):
        extensible_network.Network(
            [net.layers[0], extensible_network.make_network([5, 3], rng).layers[0]]
        )


def test_spiral_fits() -> None:
    """The spiral example's network reaches full training accuracy."""
    assert spiral.main(["--steps", "2000"]) == 1.0


def test_char_model_quick_run_learns_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    """--quick trains a few steps, already under the unigram baseline, and prints a sample."""
    bits, baseline = char_model.main(["--quick", "--quiet"])
    assert 4.0 < baseline < 5.5  # the characters' entropy alone
    assert bits < baseline
    out = capsys.readouterr().out.splitlines()
    assert out[1] == "10 steps in " + out[1].split()[-2] + " s"
    assert out[2] == f"validation: {bits:.3f} bits per character (unigram baseline {baseline:.3f})"
    assert (
        out[3].startswith("sample: 'The ")
        and len(ast.literal_eval(out[3][len("sample: ") :])) == 164
    )


def test_char_model_unigram_baseline_is_the_frequency_entropy() -> None:
    """The baseline is the cross-entropy of the frequencies: log2(2) for two equal symbols."""
    train = np.array([0, 1, 0, 1, 0, 1], dtype=np.intp)
    assert char_model.unigram_bits(train, np.array([0, 1], dtype=np.intp), 2) == 1.0
