"""A character-level language model: an nn.GRUCell reading Python's own documentation.

The text is ``pydoc_data.topics`` (the help topics that ship with Python, about 465,000
characters); the last tenth is held out. Each character is an ``nn.Embedding`` row, a GRU cell
carries the context and an ``nn.Linear`` layer scores the next character. Training takes random
windows of the text with Adam and clipped gradients; the report is the validation loss in bits
per character, against the unigram baseline (each character's frequency alone), and a sample
of generated text. The default run (300 steps) reaches about 2.2 bits per character against
the baseline's 4.67.

    python examples/char_model.py            # a few minutes on two cores
    python examples/char_model.py --quick    # a smoke test of a few seconds
"""

from __future__ import annotations

import argparse
import math
import time
from functools import partial
from pydoc_data.topics import topics
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

from typedprop import BVar, Model, auto, backprop, eval_bp, nn
from typedprop.functions import cross_entropy
from typedprop.linalg import Mat, Vec
from typedprop.optim import Adam, StepDecay, clip_by_global_norm

Embed = Literal[32]
Hidden = Literal[128]
EMBED: Final = 32
HIDDEN: Final = 128
RARE: Final = "\x00"  # stands for every character seen fewer than 20 times

Tokens = NDArray[np.intp]


class CharModel(Model):
    """Embedding, GRU cell and read-out; the vocabulary's size comes from the text."""

    embed: nn.Embedding[Any, Embed]
    cell: nn.GRUCell[Embed, Hidden]
    out: nn.Linear[Hidden, Any]


def text_tokens() -> tuple[Tokens, list[str]]:
    """The documentation as token numbers, and the character of each number."""
    text = "".join(topics[key] for key in sorted(topics))
    chars, counts = np.unique(list(text), return_counts=True)
    kept = [str(c) for c, n in zip(chars, counts, strict=True) if n >= 20]
    vocab = [RARE, *kept]
    index = {c: i for i, c in enumerate(vocab)}
    return np.array([index.get(c, 0) for c in text], dtype=np.intp), vocab


def window_loss(m: BVar[CharModel], windows: Tokens) -> BVar[float]:
    """Mean cross-entropy (nats) of predicting each character of the windows from those before."""
    rows, length = windows.shape
    vocab = m.value.out.bias.shape[0]
    onehot = np.eye(vocab)
    h: BVar[Mat[Any, Hidden]] = auto(Mat(np.zeros((rows, HIDDEN))))
    total: BVar[float] = auto(0.0)
    for t in range(length - 1):
        x: BVar[Mat[Any, Embed]] = (m ^ CharModel.embed)(windows[:, t])
        h = (m ^ CharModel.cell)(x, h)
        total = total + cross_entropy((m ^ CharModel.out)(h), onehot[windows[:, t + 1]])
    mean: BVar[float] = total * (1.0 / (rows * (length - 1)))
    return mean


def windows_at(tokens: Tokens, starts: NDArray[np.intp], length: int) -> Tokens:
    """The windows of ``length`` tokens that begin at ``starts``, one per row."""
    picked: Tokens = tokens[starts[:, None] + np.arange(length)]
    return picked


def bits_per_char(model: CharModel, tokens: Tokens, length: int, count: int) -> float:
    """The validation loss in bits per character over ``count`` evenly spaced windows."""
    starts = np.linspace(0, len(tokens) - length, count).astype(np.intp)
    nats = eval_bp(lambda m: window_loss(m, windows_at(tokens, starts, length)), model)
    return float(nats) / math.log(2.0)


def unigram_bits(train: Tokens, valid: Tokens, vocab: int) -> float:
    """Bits per character of the validation text under the training text's character frequencies
    (add-one smoothed): what a model that ignores context scores."""
    freq = np.bincount(train, minlength=vocab) + 1.0
    p = freq / freq.sum()
    return float(-np.mean(np.log2(p[valid])))


def sample(
    model: CharModel, vocab: list[str], prompt: str, n: int, rng: np.random.Generator
) -> str:
    """``n`` characters generated after ``prompt``, drawn at temperature 0.8."""
    index = {c: i for i, c in enumerate(vocab)}
    h: Vec[Hidden] = Vec(np.zeros(HIDDEN))
    out = list(prompt)
    scores: NDArray[np.float64] = np.zeros(len(vocab))
    for c in prompt:
        h = model.cell(model.embed(index.get(c, 0)), h)
    for _ in range(n):
        scores = model.out(h).array / 0.8
        p = np.exp(scores - scores.max())
        k = int(rng.choice(len(vocab), p=p / p.sum()))
        out.append(vocab[k])
        h = model.cell(model.embed(k), h)
    return "".join(out).replace(RARE, "?")


def _at_least_one(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, found {number}")
    return number


def main(argv: list[str] | None = None) -> tuple[float, float]:
    """Train, then report validation bits per character, the unigram baseline and a sample."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=_at_least_one, default=300, help="Adam steps (300)")
    parser.add_argument("--batch", type=_at_least_one, default=32, help="windows a step (32)")
    parser.add_argument("--length", type=_at_least_one, default=32, help="window length (32)")
    parser.add_argument("--seed", type=int, default=0, help="initial weights, windows (0)")
    parser.add_argument("--quick", action="store_true", help="10 short steps, a smoke test")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.length < 2:
        parser.error(f"argument --length: must be at least 2, found {args.length}")
    steps, length = (10, 12) if args.quick else (args.steps, args.length)
    batch = 8 if args.quick else args.batch
    rng = np.random.default_rng(args.seed)
    tokens, vocab = text_tokens()
    cut = len(tokens) * 9 // 10
    train, valid = tokens[:cut], tokens[cut:]
    print(f"{len(train)} training and {len(valid)} validation characters, {len(vocab)} symbols")
    model = CharModel(
        nn.Embedding[Any, Embed].init(rng, len(vocab), EMBED),
        nn.GRUCell[Embed, Hidden].init(rng, EMBED, HIDDEN),
        nn.Linear[Hidden, Any].init(rng, HIDDEN, len(vocab)),
    )
    opt = Adam(lr=StepDecay(0.01, every=max(1, steps // 3), factor=0.5))
    state = opt.init(model)
    started = time.perf_counter()
    bar = tqdm(range(steps), unit="step", disable=True if args.quiet else None, leave=False)
    for _ in bar:
        starts = rng.integers(0, len(train) - length, size=batch)
        windows = windows_at(train, starts, length)
        value, grad = backprop(partial(window_loss, windows=windows), model)
        grad, _ = clip_by_global_norm(grad, max_norm=1.0)
        state, model = opt.step(state, model, grad)
        bar.set_postfix(bits=f"{value / math.log(2.0):.3f}", refresh=False)
    elapsed = time.perf_counter() - started
    bits = bits_per_char(model, valid, 64 if not args.quick else 16, 200 if not args.quick else 8)
    baseline = unigram_bits(train, valid, len(vocab))
    print(f"{steps} steps in {elapsed:.0f} s")
    print(f"validation: {bits:.3f} bits per character (unigram baseline {baseline:.3f})")
    print("sample: " + repr(sample(model, vocab, "The ", 160, rng)))
    return bits, baseline


if __name__ == "__main__":
    main()
