"""The API's JSON parser: a body nested past any sane depth is a 400, never a RecursionError."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

# Far deeper than any payload the API takes (Alertmanager's is four levels), far below
# Python's recursion limit, which serializers and renderers also walk.
MAX_JSON_DEPTH = 32


class BoundedJSONParser(JSONParser):
    too_deep = f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels"

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(self.too_deep) from None
        if _deeper_than(data, MAX_JSON_DEPTH):
            raise ParseError(self.too_deep)
        return data


def _deeper_than(data: Any, limit: int) -> bool:
    """Walked with a stack, not recursion: the check must not fail the way it guards against."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return False
