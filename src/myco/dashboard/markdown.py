"""Markdown to HTML for the message reader: a small subset, and nothing unescaped.

Messages are written by agents (and by whoever holds a token), so their HTML must never
reach the page: every character of the input is escaped first, and only the tags this
module writes itself appear in the output. Links keep ``http``, ``https`` and ``mailto``
addresses only; anything else (``javascript:``, ``data:``) stays plain text. The page adds
a Content-Security-Policy without inline scripts on top, so even a bug here would not run
a script.

Supported: ATX headings, paragraphs, fenced code, block quotes, bullet and numbered lists
(task boxes included), pipe tables, rules, and inline code, strong, emphasis,
strikethrough, links and bare URLs.
"""

from __future__ import annotations

import html
import re

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})\s*([A-Za-z0-9_+.-]{0,32})")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_BULLET = re.compile(r"^\s{0,3}[-*+]\s+(.*)$")
_NUMBER = re.compile(r"^\s{0,3}(\d{1,9})[.)]\s+(.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"\[([^\[\]\n]{1,500})\]\(\s*(\S{1,2000}?)\s*\)|(https?://[^\s<>\"'`]+)")
_SAFE_URL = re.compile(r"^(?:https?://|mailto:)[^\s]+$", re.IGNORECASE)
_EMPHASIS = (
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w])__(?=\S)((?:(?!__).)+?)(?<=\S)__(?![\w])"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![*\w])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![*\w])"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w])_(?=[^\s_])([^_]+?)(?<=[^\s_])_(?![\w])"), r"<em>\1</em>"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"<del>\1</del>"),
)
MAX_DEPTH = 4


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _emphasis(escaped: str) -> str:
    for pattern, repl in _EMPHASIS:
        escaped = pattern.sub(repl, escaped)
    return escaped


def _link(url: str, text: str) -> str:
    return f'<a href="{esc(url)}" rel="noopener noreferrer nofollow" target="_blank">{text}</a>'


def _plain(text: str) -> str:
    """Inline markup outside code spans: links first, then emphasis on escaped text."""
    out: list[str] = []
    pos = 0
    for m in _LINK.finditer(text):
        out.append(_emphasis(esc(text[pos : m.start()])))
        pos = m.end()
        if m.group(3):
            url = m.group(3)
            trail = len(url) - len(url.rstrip(".,;:!?)]"))
            if trail:
                url, pos = url[:-trail], pos - trail
            out.append(_link(url, esc(url)))
        elif _SAFE_URL.match(m.group(2)):
            out.append(_link(m.group(2), _emphasis(esc(m.group(1)))))
        else:
            out.append(_emphasis(esc(m.group(0))))
    out.append(_emphasis(esc(text[pos:])))
    return "".join(out)


def inline(text: str) -> str:
    """One line of inline markdown as HTML."""
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_plain(text[pos : m.start()]))
        out.append(f"<code>{esc(m.group(2).strip() or m.group(2))}</code>")
        pos = m.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)]


def _item(text: str) -> str:
    box = re.match(r"\[([ xX])\]\s+", text)
    if box:
        mark = "☑" if box.group(1) in "xX" else "☐"
        return f'<li class="task">{mark} {inline(text[box.end() :])}</li>'
    return f"<li>{inline(text)}</li>"


def render(text: str, depth: int = 0) -> str:
    """*text* (markdown) as safe HTML."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    para: list[str] = []
    i, n = 0, len(lines)

    def flush() -> None:
        if para:
            out.append("<p>" + inline(" ".join(para)) + "</p>")
            para.clear()

    while i < n:
        line = lines[i]
        stripped = line.strip()
        fence = _FENCE.match(line)
        if fence:
            flush()
            marker = fence.group(1)
            body: list[str] = []
            i += 1
            while i < n and not lines[i].strip().startswith(marker):
                body.append(lines[i])
                i += 1
            i += 1
            lang = fence.group(2)
            cls = f' class="language-{esc(lang)}"' if lang else ""
            out.append(f"<pre><code{cls}>{esc(chr(10).join(body))}</code></pre>")
            continue
        if not stripped:
            flush()
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            out.append(f"<h{level}>{inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        if _RULE.match(line):
            flush()
            out.append("<hr>")
            i += 1
            continue
        if stripped.startswith(">"):
            flush()
            quoted: list[str] = []
            while i < n and lines[i].strip().startswith(">"):
                quoted.append(re.sub(r"^\s*>\s?", "", lines[i]))
                i += 1
            inner = (
                render("\n".join(quoted), depth + 1)
                if depth < MAX_DEPTH
                else ("<p>" + inline(" ".join(q.strip() for q in quoted)) + "</p>")
            )
            out.append(f"<blockquote>{inner}</blockquote>")
            continue
        bullet, number = _BULLET.match(line), _NUMBER.match(line)
        if bullet or number:
            flush()
            ordered = number is not None and bullet is None
            pattern = _NUMBER if ordered else _BULLET
            items: list[str] = []
            start = number.group(1) if ordered and number else "1"
            while i < n:
                m = pattern.match(lines[i])
                if m:
                    items.append(m.group(m.lastindex or 1))
                elif lines[i].strip() and lines[i][:1] in " \t" and items:
                    items[-1] += " " + lines[i].strip()  # a continuation line
                else:
                    break
                i += 1
            tag = "ol" if ordered else "ul"
            attr = f' start="{int(start)}"' if ordered and int(start) != 1 else ""
            out.append(f"<{tag}{attr}>" + "".join(_item(t) for t in items) + f"</{tag}>")
            continue
        if "|" in line and i + 1 < n and _TABLE_SEP.match(lines[i + 1]) and "-" in lines[i + 1]:
            flush()
            head = _cells(line)
            rows: list[list[str]] = []
            i += 2
            while i < n and "|" in lines[i] and lines[i].strip():
                rows.append(_cells(lines[i]))
                i += 1
            th = "".join(f"<th>{inline(c)}</th>" for c in head)
            body_rows = "".join(
                "<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>" for row in rows
            )
            out.append(f"<table><thead><tr>{th}</tr></thead><tbody>{body_rows}</tbody></table>")
            continue
        para.append(stripped)
        i += 1
    flush()
    return "\n".join(out)
