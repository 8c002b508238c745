# The part of scikit-learn's API the examples use (scikit-learn ships no type information).
from typing import Any

def load_digits(*, n_class: int = 10, return_X_y: bool = False, as_frame: bool = False) -> Any: ...
