"""Every code block a user would copy from README.md or docs/*.md is a real file: a
fenced block in C++, CMake or Meson must follow a marker naming where it comes from,

    <!-- from: examples/hello/hello.cpp -->            the whole file
    <!-- from: tests/unit/sasl_readme.cpp#NAME -->     the lines between "NAME begin"
                                                       and "NAME end" in that file

and be exactly that text. The files themselves are compiled and run by other tests.
Run: python3 check_code_blocks.py SOURCE-ROOT
"""

import glob
import os
import re
import sys

CHECKED = {'cpp', 'c++', 'cmake', 'meson'}
MARKER = re.compile(r'<!-- from: ([^#\s]+)(?:#(.+?))? -->')


def region(text, name, where):
    """The lines strictly between the one containing "NAME begin" and "NAME end"."""
    lines = text.splitlines(keepends=True)
    begins = [i for i, l in enumerate(lines) if name + ' begin' in l]
    ends = [i for i, l in enumerate(lines) if name + ' end' in l]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise ValueError('%s: region %r not marked exactly once' % (where, name))
    return ''.join(lines[begins[0] + 1:ends[0]])


def blocks(markdown):
    """(language, text, marker line or None, line number) of each fenced block."""
    lines = markdown.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = re.match(r'^(\s*)```(\S*)\s*$', lines[i])
        if not m:
            i += 1
            continue
        indent, language, start = m.group(1), m.group(2).lower(), i
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != '```':
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        previous = start - 1
        while previous >= 0 and not lines[previous].strip():
            previous -= 1
        yield language, ''.join(body), lines[previous].strip() if previous >= 0 else '', start + 1
        i += 1


def check(root):
    problems = []
    documents = [os.path.join(root, 'README.md')] + sorted(glob.glob(os.path.join(root, 'docs', '*.md')))
    checked = 0
    for document in documents:
        with open(document, encoding='utf-8') as f:
            markdown = f.read()
        name = os.path.relpath(document, root)
        for language, text, before, line in blocks(markdown):
            if language not in CHECKED:
                continue
            m = MARKER.fullmatch(before)
            if not m:
                problems.append('%s:%d: a %s block without a "<!-- from: FILE[#REGION] -->" marker'
                                % (name, line, language))
                continue
            source_path = os.path.join(root, m.group(1))
            try:
                with open(source_path, encoding='utf-8') as f:
                    source = f.read()
                expected = region(source, m.group(2), m.group(1)) if m.group(2) else source
            except (OSError, ValueError) as e:
                problems.append('%s:%d: %s' % (name, line, e))
                continue
            if text != expected:
                problems.append('%s:%d: the block differs from %s%s' % (
                    name, line, m.group(1), '#' + m.group(2) if m.group(2) else ''))
            checked += 1
    for p in problems:
        print(p)
    print('%d code blocks checked in %d documents' % (checked, len(documents)))
    return 1 if problems or checked == 0 else 0


if __name__ == '__main__':
    sys.exit(check(sys.argv[1] if len(sys.argv) > 1 else '.'))
