"""A corpus of hostile strings, for every place that takes text from people or documents.

Each entry is ``(name, text)``; ``NASTY_STRINGS`` is the flat list of texts. Renderers of any
platform can be tested with it: whatever a person types must come out as the same words, never as
formatting, a mention, a link, a card element, a terminal escape or a forged line.

``MARKERS`` are substrings that, if they reach a rendered message unescaped, mean an injection
worked; each platform's test decides what "escaped" means for its markup.
"""

from __future__ import annotations

NASTY: list[tuple[str, str]] = [
    # size
    ("empty", ""),
    ("spaces", "   \t  "),
    ("very long word", "A" * 5000),
    ("very long words", "word " * 3000),
    ("just over the limit", "x" * 2001),
    ("deep REF", "04-" + "CR/" * 200 + "CR"),
    # control characters and line forging
    ("nul", "before\x00after"),
    ("bell and backspace", "ring\x07\x08\x08\x08erased"),
    ("ansi colour", "\x1b[31mred alert\x1b[0m"),
    ("ansi clear screen", "\x1b[2J\x1b[Hscreen wiped"),
    ("osc title", "\x1b]0;pwned\x07title"),
    ("c1 csi", "\x9b31mred via C1"),
    ("delete", "rub\x7fout"),
    ("newline forgery", "fine\n✓ Done: 04-CR\nRecorded by AC"),
    ("carriage return forgery", "innocent\r✗ You can't close 04-CR"),
    ("unicode line separators", "one\u2028two\u2029three\x85four\x0bfive\x0csix"),
    ("crlf header injection", "x\r\nX-Injected: 1\r\n\r\n<html>"),
    # Unicode trickery
    ("right-to-left override", "\u202eRC-40 enod"),
    ("bidi isolates", "\u2066admin\u2069\u2067evil\u2069"),
    ("zero width", "0\u200b4\u200c-\u200dC\ufeffR"),
    ("lone surrogate", "broken \ud800 half"),
    ("combining pile", "Z" + "\u0336\u0337\u0338\u0301\u0302" * 200),
    ("emoji family", "👨‍👩‍👧‍👦 🏴󠁧󠁢󠁥󠁮󠁧󠁿 done"),
    ("cyrillic look-alike ref", "04-СR"),
    ("fullwidth ref", "０４-ＣＲ"),
    ("greek look-alike initials", "04-DΡ"),
    ("turkish dotless", "ıİ ß ﬁ"),
    ("non-characters", "\ufffe\uffff\U0010ffff"),
    ("private use", "\ue000\uf8ff"),
    ("astral", "𝕯𝖔𝖓𝖊 𝟎𝟒-𝐂𝐑"),
    # chat markup injection
    ("mrkdwn", "*bold* _italic_ ~strike~ `code` ```block``` > quote"),
    ("slack mentions", "<!channel> <!here> <!everyone> <@U01ABCDEF> <#C01ABCDEF>"),
    ("slack link", "<https://evil.example/|click to confirm>"),
    ("slack special", "<!subteam^S123|@security> <!date^1392734382^{date}|x>"),
    ("markdown link", "[your password has expired](https://evil.example/login)"),
    ("markdown image", "![x](https://evil.example/pixel.png)"),
    ("markdown heading", "# Heading\n## smaller\n---"),
    ("html", "<b>bold</b><script>alert(1)</script><img src=x onerror=alert(1)>"),
    ("html entities", "&lt;b&gt; &amp;amp; &#60;script&#62; &nbsp;"),
    ("teams at mention", "<at>Andy Champness</at>"),
    ("adaptive card json", '{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"x"}]}'),
    ("adaptive card action", '"}]},{"type":"Action.OpenUrl","url":"https://evil.example"}'),
    ("block kit json", '[{"type":"section","text":{"type":"mrkdwn","text":"*x*"}}]'),
    ("rich markup", "[bold red]alarm[/bold red] [link=https://evil.example]x[/link]"),
    ("template", "{{7*7}} ${7*7} {0.__class__} %s %d %(x)s"),
    # data and command injection
    ("sql quote", "04-CR'; DROP TABLE actions; --"),
    ("sql union", "' OR 1=1 UNION SELECT name, email FROM members --"),
    ("sql comment", "04-CR /* */ -- \\' \\\""),
    ("like wildcards", "%_%\\%"),
    ("shell", "$(rm -rf /) `reboot` ; | && >/etc/passwd"),
    ("path traversal", "../../../../etc/passwd"),
    ("csv formula", '=HYPERLINK("https://evil.example","x") +cmd|\' /C calc\'!A0 @SUM(1)'),
    ("json breaking", '"},"status":"done","x":{"'),
    ("backslashes", "\\" * 100),
    # things that look like our own syntax
    ("many refs", " ".join(f"{n:02d}-CR" for n in range(1, 60))),
    ("ref with everything", "04-CR.2@2020-11-25 04-DP/RT.99@2099-02-30"),
    ("bad date in ref", "04-CR@2020-13-45"),
    ("huge ordinal", "04-CR.999"),
    ("zero ordinal", "04-CR.0"),
    ("rag only", "red"),
    ("post flag", "--post --post post"),
    ("prefix loop", "crb crb crb crb crb crb help"),
    ("slash verb", "/done 04-CR"),
    ("numbers", "-1 0 1e309 NaN inf 99999999999999999999"),
]

NASTY_STRINGS: list[str] = [text for _, text in NASTY]
NASTY_IDS: list[str] = [name for name, _ in NASTY]

# If one of these reaches a rendered message unescaped, formatting was injected.
MARKERS: list[str] = [
    "<!channel>",
    "<!here>",
    "<@U01ABCDEF>",
    "<https://evil.example/|",
    "<script>",
    "<at>",
    '"type":"Action.OpenUrl"',
    "\x1b[",
    "\x9b",
    "\u202e",
]
