# The part of threadpoolctl (which ships no type information) that bench/ uses.
from types import TracebackType
from typing import Any

__version__: str

def threadpool_info(debugging_info: bool = ...) -> list[dict[str, Any]]: ...

class threadpool_limits:
    def __init__(
        self, limits: int | str | dict[str, int] | None = ..., user_api: str | None = ...
    ) -> None: ...
    def __enter__(self) -> threadpool_limits: ...
    def __exit__(
        self,
        type: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...
    def restore_original_limits(self) -> None: ...
