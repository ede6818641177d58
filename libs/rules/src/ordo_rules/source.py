"""YAML text -> plain data, remembering the line of every value so errors can point at it."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class RuleError:
    """One thing wrong with a rule file: where (line, path) and what."""

    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return f"{where}, {self.path or '(top)'}: {self.message}"


class RuleSetError(ValueError):
    """A rule file that cannot be used; `errors` says every problem found, with its line."""

    def __init__(self, errors: Sequence[RuleError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))


def dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class Located:
    """The data of a YAML document and the line each path in it starts on."""

    def __init__(self, text: str):
        self.lines: dict[Path, int] = {}
        self._constructor = SafeConstructor()
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = mark.line + 1 if mark else None
            raise RuleSetError([RuleError(line, "", f"not valid YAML: {exc.problem}")]) from None
        except yaml.YAMLError as exc:
            raise RuleSetError([RuleError(None, "", f"not valid YAML: {exc}")]) from None
        if node is None:
            raise RuleSetError([RuleError(None, "", "the file is empty")])
        self.data = self._build(node, ())

    def line_of(self, path: Path) -> int | None:
        """The line of the longest known prefix of `path` (pydantic adds its own parts)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def error(self, path: Path, message: str) -> RuleError:
        return RuleError(self.line_of(path), dotted(path), message)

    def _build(self, node: Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, MappingNode):
            out: dict[Hashable, Any] = {}
            for key_node, value_node in node.value:
                key = self._build(key_node, (*path, "<key>"))
                if not isinstance(key, str | int | bool):
                    raise RuleSetError([self._at(key_node, path, "a key must be plain text")])
                if key in out:
                    raise RuleSetError([self._at(key_node, path, f"duplicate key {key!r}")])
                child = (*path, str(key))
                self.lines[child] = key_node.start_mark.line + 1
                out[key] = self._build(value_node, child)
            return out
        if isinstance(node, SequenceNode):
            return [self._build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        return self._constructor.construct_object(node, deep=True)

    @staticmethod
    def _at(node: Node, path: Path, message: str) -> RuleError:
        return RuleError(node.start_mark.line + 1, dotted(path), message)
