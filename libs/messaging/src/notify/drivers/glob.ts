/**
 * Shell-style patterns as Python's `fnmatch.fnmatchcase`: `*` any run, `?` one character,
 * `[seq]` / `[!seq]` a class; the whole string must match. Case-sensitive (POSIX fnmatch).
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '[') {
      const close = findClassEnd(pattern, i);
      if (close < 0) {
        out += '\\[';
      } else {
        let body = pattern.slice(i + 1, close).replaceAll('\\', '\\\\');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        else if (body.startsWith('^')) body = `\\${body}`;
        out += `[${body}]`;
        i = close;
      }
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 's');
}

/** Index of the `]` closing the class opened at `open`, or -1 (then `[` is a literal). */
function findClassEnd(pattern: string, open: number): number {
  let j = open + 1;
  if (pattern[j] === '!') j++;
  if (pattern[j] === ']') j++; // a leading `]` is part of the class
  const close = pattern.indexOf(']', j);
  return close;
}

export function fnmatch(name: string, pattern: string): boolean {
  return globToRegExp(pattern).test(name);
}
