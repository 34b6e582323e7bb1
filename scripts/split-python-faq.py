#!/usr/bin/env python3
"""Splits the Python FAQ pages (Sphinx HTML from Debian's python3.11-doc) into one text file per answer.

    split-python-faq.py FAQ_HTML_DIR OUT_DIR

Every question of the FAQ is a heading that opens a <section id="ANCHOR"> holding no further sections (an <h2> on
pages without categories, an <h3> under a category's <h2>); its answer is the rest of that section. The answer (the question's own heading left out, so a search cannot match the question text) is written to
OUT_DIR/PAGE/ANCHOR.txt, e.g. OUT_DIR/programming/how-do-i-copy-an-object-in-python.txt. Standard library only.
"""
import os
import sys
from html.parser import HTMLParser

BLOCKS = {"p", "pre", "li", "dt", "dd", "div", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"}


class FaqParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # open sections: [anchor, has_subsections, parts]
        self.in_heading = False
        self.skip = 0            # inside the heading's permalink or a script/style
        self.answers = []        # (anchor, text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            if self.stack:
                self.stack[-1][1] = True
            self.stack.append([a.get("id", ""), False, []])
        elif tag in ("h1", "h2", "h3", "h4"):
            self.in_heading = True
        elif tag in ("script", "style"):
            self.skip += 1
        elif tag in BLOCKS and self.stack:
            self.stack[-1][2].append("\n")

    def handle_endtag(self, tag):
        if tag == "section" and self.stack:
            anchor, has_subsections, parts = self.stack.pop()
            if self.stack and not has_subsections:  # the page's own section (h1) is not a question
                lines = [" ".join(line.split()) for line in "".join(parts).split("\n")]
                text = "\n".join(line for line in lines if line)
                if text:
                    self.answers.append((anchor, text))
        elif tag in ("h1", "h2", "h3", "h4"):
            self.in_heading = False
        elif tag in ("script", "style"):
            self.skip -= 1
        elif tag in BLOCKS and self.stack:
            self.stack[-1][2].append("\n")

    def handle_data(self, data):
        if self.stack and not self.in_heading and not self.skip and data != "\u00b6":
            self.stack[-1][2].append(data)


def main():
    src, out = sys.argv[1], sys.argv[2]
    total = 0
    for name in sorted(os.listdir(src)):
        if not name.endswith(".html") or name == "index.html":
            continue
        parser = FaqParser()
        with open(os.path.join(src, name), encoding="utf-8") as f:
            parser.feed(f.read())
        page = name[: -len(".html")]
        os.makedirs(os.path.join(out, page), exist_ok=True)
        for anchor, text in parser.answers:
            with open(os.path.join(out, page, anchor + ".txt"), "w", encoding="utf-8") as f:
                f.write(text + "\n")
            total += 1
    print(f"split-python-faq: {total} answers under {out}")


if __name__ == "__main__":
    main()
