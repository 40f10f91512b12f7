"""HTML report pages → `Source`: prose as lines, each data table as a tab-separated grid.

The parser core reads a table row as "label, then numbers in column order", so each
`<tr>` becomes one line of the cells that start in it: a rowspan/colspan cell is
written once, in the row where it starts (which is where HTML puts it, so no slot
grid is needed), and a cell that is really empty is written as BLANK_CELL, so a
missing number stays visible instead of shifting the others left. A table that
contains another table is page layout, not data: its cells are read as ordinary
blocks and the inner tables become grids.
"""

from __future__ import annotations

import re
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from orchestration.parse.readers import SourceBuilder, cell_text, check_size, collapse
from orchestration.parse.readers.decode import decode_bytes
from orchestration.parse.source import BLANK_CELL, Source

MAX_HTML_BYTES = 32 * 1024 * 1024
MAX_PATH_DEPTH = 40

DROP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "nav",
        "iframe",
        "object",
        "embed",
        "svg",
        "canvas",
        "select",
        "option",
        "button",
        "input",
        "textarea",
        "head",
        "map",
        "audio",
        "video",
        "link",
        "meta",
    ]
)
"""Never report content: code, navigation, form controls, embedded media."""
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
)
"""Elements that start a new line."""

_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_\-:.]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_\-.]+)""", re.IGNORECASE)
_SPACE = re.compile(r"\s")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def read_html(data: bytes) -> Source:
    """Decode (the declared charset is a hint the bytes must confirm), parse, render."""
    check_size(data, MAX_HTML_BYTES)
    text = decode_bytes(data, declared_charset(data[:16384]))
    tree = LexborHTMLParser(text)
    builder = SourceBuilder()
    title = tree.css_first("head > title")
    if title is not None and (title_text := collapse(title.text())):
        builder.line([(title_text, {"path": "head/title"})])
    root = tree.body or tree.root
    if root is not None:
        _Renderer(builder, hidden_nodes(tree)).render(root, root.tag or "body")
    return builder.build("html")


def declared_charset(head: bytes) -> str | None:
    """The charset a page claims in <meta> or an XML declaration, if any."""
    match = _CHARSET.search(head) or _XML_ENCODING.search(head)
    return match.group(1).decode("ascii") if match else None


_MAYBE_HIDDEN = '[hidden], [style*="none" i], [style*="dden" i]'
"""Every element `is_hidden` can accept, and few others: its style patterns end in "none" or
"hidden", and "none" and "dden" have no letter that case-folds beyond ASCII (as i, s and k do)."""


def hidden_nodes(tree: LexborHTMLParser) -> frozenset[int]:
    """The `mem_id` of every element hidden by markup, found once by CSS so that the
    walk never builds a node's attribute dict (the costliest read per node)."""
    return frozenset(n.mem_id for n in tree.css(_MAYBE_HIDDEN) if is_hidden(n.attributes))


class _Renderer:
    """Walks the DOM iteratively (deeply nested pages must not hit the recursion limit)."""

    def __init__(self, builder: SourceBuilder, hidden: frozenset[int]) -> None:
        self.builder = builder
        self.hidden = hidden
        self.tables = 0
        self.line: list[str] = []
        self.line_path: str | None = None

    def render(self, root: LexborNode, path: str) -> None:
        """Depth first; a stack entry is (node, path, tag), or (None, ...) where a block ends.
        A text node's entry carries the path of the element its line is attributed to."""
        hidden = self.hidden
        stack: list[tuple[LexborNode | None, str, str | None]] = [(root, path, root.tag)]
        while stack:
            node, path, tag = stack.pop()
            if node is None:
                self.flush()
            elif tag == "-text":
                self.add_text(node.text_content or "", path)
            elif node.is_element_node and tag not in DROP_TAGS and node.mem_id not in hidden:
                self.enter(node, path, tag, stack)
        self.flush()

    def enter(self, node: LexborNode, path: str, tag: str, stack: list) -> None:
        if tag == "table":
            self.tables += 1
            if len(node.css("table")) == 1:
                self.flush()
                self.render_table(node, self.tables)
                return
        if tag == "br":
            self.flush()
            return
        if tag in BLOCK_TAGS:
            self.flush()
            stack.append((None, path, None))
        stack.extend(reversed(child_paths(node, path)))

    def add_text(self, text: str, line_path: str) -> None:
        if self.line_path is None and text.strip():
            self.line_path = line_path
        self.line.append(text)

    def flush(self) -> None:
        text = collapse("".join(self.line))
        if text:
            self.builder.line([(text, {"path": self.line_path})])
        self.line, self.line_path = [], None

    def render_table(self, table: LexborNode, number: int) -> None:
        caption = table.css_first("caption")
        if caption is not None and (text := cell_text(inline_text(caption, self.hidden))):
            self.builder.line([(text, {"path": f"table[{number}]/caption"})])
        for r, tr in enumerate(table_rows(table), 1):
            if self.hidden and (tr.mem_id in self.hidden or tr.parent.mem_id in self.hidden):
                continue  # a hidden row, or one of a hidden thead/tbody/tfoot; later rows keep their paths
            texts, wheres = row_cells(tr, f"table[{number}]/tr[{r}]", self.hidden)
            if any(texts):
                self.builder.row([text or BLANK_CELL for text in texts], wheres)
        self.builder.blank_line()


def is_dropped(node: LexborNode, hidden: frozenset[int]) -> bool:
    """Script/style/navigation/form junk and elements hidden by markup (see `hidden_nodes`)."""
    return node.tag in DROP_TAGS or node.mem_id in hidden


def is_hidden(attrs: dict[str, str | None]) -> bool:
    if not attrs:
        return False
    return "hidden" in attrs or bool(_HIDDEN_STYLE.search(attrs.get("style") or ""))


def child_paths(node: LexborNode, path: str) -> list[tuple[LexborNode, str, str | None]]:
    """Children with XPath-like paths (div[2] = the second div child), and their tags.

    A text child gets the path its line is attributed to: its parent's (the path of
    the text node itself would only be cut back to it). Below MAX_PATH_DEPTH a child
    inherits its parent's path: pathological nesting would otherwise make path
    strings, and the time to build them, grow quadratically.
    """
    limited = path.count("/") >= MAX_PATH_DEPTH
    text_path = path.rsplit("/", 1)[0] if limited else path
    counts: dict[str, int] = {}
    out = []
    for child in node.iter(include_text=True):
        tag = child.tag
        if tag == "-text":
            out.append((child, text_path, tag))
        elif limited:
            out.append((child, path, tag))
        else:
            key = tag or ""
            counts[key] = n = counts.get(key, 0) + 1
            out.append((child, f"{path}/{key}[{n}]", tag))
    return out


def table_rows(table: LexborNode) -> list[LexborNode]:
    """The table's own rows, direct or inside thead/tbody/tfoot (never a nested table's)."""
    rows = []
    for child in table.iter():
        if child.tag == "tr":
            rows.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            rows.extend(tr for tr in child.iter() if tr.tag == "tr")
    return rows


def row_cells(tr: LexborNode, path: str, hidden: frozenset[int]) -> tuple[list[str], list[dict[str, Any]]]:
    """The row's visible cells: their texts (an empty cell's text empty) and their anchors."""
    counts = {"td": 0, "th": 0}
    texts, wheres = [], []
    for child in tr.iter():
        tag = child.tag
        if tag not in counts or (hidden and child.mem_id in hidden):
            continue
        counts[tag] += 1
        first = child.child
        if first is not None and first.next is None and first.tag == "-text":  # <td>12</td>
            text = first.text_content or ""
        else:
            text = chain_text(child, hidden)
        if text is None:
            text = cell_text(inline_text(child, hidden))
        elif not text.isdigit() and _SPACE.search(text):  # without whitespace it is as cell_text leaves it
            text = cell_text(text)
        texts.append(text)
        wheres.append({"path": f"{path}/{tag}[{counts[tag]}]"})
    return texts, wheres


def chain_text(node: LexborNode, hidden: frozenset[int]) -> str | None:
    """The text of a cell whose content is one text node, maybe wrapped in single elements
    (<td><p><span>12</span></p></td>, the common case); None for anything else. Walking
    the whole subtree (inline_text) costs ten times more."""
    current = node.child
    while current is not None:
        if current.next is not None:
            return None
        if current.tag == "-text":
            return current.text_content or ""
        if is_dropped(current, hidden):
            return None
        current = current.child
    return ""


def inline_text(node: LexborNode, hidden: frozenset[int]) -> str:
    """Text of a subtree with block and <br> boundaries as newlines, junk skipped."""
    parts: list[str] = []
    stack: list[LexborNode | None] = [node]
    while stack:
        current = stack.pop()
        if current is None:
            parts.append("\n")
        elif current.tag == "-text":
            parts.append(current.text_content or "")
        elif current.is_element_node and not is_dropped(current, hidden):
            if current.tag == "br" or current.tag in BLOCK_TAGS:
                parts.append("\n")
                stack.append(None)
            stack.extend(reversed(list(current.iter(include_text=True))))
    return "".join(parts)
