"""Write the benchmark corpus: the same synthetic posts for Probable and its peers.

In: a post count and a seed. Out: one project folder per generator under
the destination (``probable/``, ``hugo/``, ``eleventy/``, ``pelican/``,
``mkdocs/``), each holding the same posts in that generator's layout and
front matter, with a theme that renders comparable output: a page per post,
a home page listing every post, an archive, a page per tag and a tag index,
and an RSS feed with the full text of every post.

Each post is about 11 KB of Markdown: headings, paragraphs with emphasis,
inline code and links (to other posts and to outside sites), a bullet list
with a nested level, an ordered list, a block quote, a Python code block
and a table. The same seed gives the same bytes on every run and machine:
everything comes from one ``random.Random(seed)`` and nothing reads the
clock.

Usage: ``python bench/corpus.py --posts 1000 --out bench/out/corpus``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PEERS = BENCH / "peers"
GENERATORS = ("probable", "hugo", "eleventy", "pelican", "mkdocs")

#: Markdown bytes per post body the generator aims at (the issue's corpus).
TARGET_BYTES = 11_000
FIRST_DATE = dt.date(2015, 1, 1)
SITE_TITLE = "Bench"
BASE_URL = "https://bench.example.org/"
#: Modification time of every written file (2024-01-01 UTC). A checked-out
#: project's files are not seconds old, and a build cache may rightly
#: distrust files written in the same instant as its scan.
MTIME = 1_704_067_200
DESCRIPTION = "A synthetic corpus for timing static site generators."

TAGS = (
    "attention", "calibration", "datasets", "distillation", "embeddings",
    "evaluation", "gradients", "inference", "interpretability", "kernels",
    "losses", "optimisation", "probability", "quantisation", "regularisation",
    "sampling", "scaling", "tokenisation", "training", "transformers",
)
NOUNS = (
    "model", "layer", "gradient", "token", "batch", "kernel", "weight", "loss",
    "optimizer", "dataset", "sample", "feature", "head", "logit", "vector",
    "matrix", "schedule", "checkpoint", "metric", "baseline", "prior",
    "posterior", "encoder", "decoder", "embedding", "activation", "network",
    "estimate", "benchmark", "distribution", "temperature", "vocabulary",
    "window", "residual", "projection", "router", "cache", "teacher",
    "student", "label", "margin", "signal", "curve", "budget", "error",
)
ADJECTIVES = (
    "small", "large", "noisy", "stable", "sparse", "dense", "shallow", "deep",
    "careful", "greedy", "frozen", "shared", "hidden", "early", "late",
    "calibrated", "biased", "robust", "fragile", "linear", "nonlinear",
    "quiet", "sharp", "smooth", "expensive", "cheap", "honest", "familiar",
)
VERBS = (
    "shrinks", "stretches", "predicts", "ignores", "amplifies", "averages",
    "dominates", "follows", "mirrors", "explains", "hides", "reveals",
    "outgrows", "tracks", "rescales", "mixes", "separates", "compresses",
    "survives", "breaks", "improves", "flattens", "rewards", "penalises",
)
ADVERBS = (
    "quickly", "slowly", "rarely", "often", "barely", "steadily", "suddenly",
    "quietly", "reliably", "eventually", "almost", "surprisingly",
)
CONNECTIVES = (
    "In practice", "At first", "On the other hand", "More surprisingly",
    "As a rule", "After a few epochs", "With more data", "Under this setting",
    "For a small model", "In the worst case", "By contrast", "Later on",
)
SITES = (
    "https://arxiv.org/abs/1706.03762", "https://pytorch.org/docs/stable/",
    "https://en.wikipedia.org/wiki/Softmax_function",
    "https://distill.pub/2017/momentum/", "https://docs.python.org/3/",
    "https://numpy.org/doc/stable/", "https://scikit-learn.org/stable/",
)


@dataclass(frozen=True)
class Post:
    """One synthetic post, independent of any generator's layout."""

    slug: str
    title: str
    date: dt.date
    tags: tuple[str, ...]
    summary: str
    body: str  # Markdown shared by every generator


class Writer:
    """Sentences, paragraphs and blocks drawn from one random stream."""

    def __init__(self, rng: random.Random, earlier: list[str]):
        self.rng = rng
        self.earlier = earlier  # slugs this post may link to

    def phrase(self) -> str:
        pick = self.rng.choice
        return f"the {pick(ADJECTIVES)} {pick(NOUNS)}"

    def sentence(self) -> str:
        pick = self.rng.choice
        subject = self.phrase()
        parts = [f"{subject} {pick(ADVERBS)} {pick(VERBS)} {self.phrase()}"]
        if self.rng.random() < 0.5:
            parts.append(f"when {self.phrase()} {pick(VERBS)} {self.phrase()}")
        if self.rng.random() < 0.3:
            parts.insert(0, pick(CONNECTIVES) + ",")
        text = " ".join(parts)
        return text[0].upper() + text[1:] + "."

    def inline(self) -> str:
        """Return a sentence with one inline element: emphasis, code or a link."""
        roll = self.rng.random()
        words = self.sentence().rstrip(".").split(" ")
        at = self.rng.randrange(1, len(words))
        word = words[at]
        if roll < 0.25:
            words[at] = f"*{word}*"
        elif roll < 0.45:
            words[at] = f"**{word}**"
        elif roll < 0.65:
            words[at] = f"`{word}_{self.rng.randrange(100)}`"
        elif roll < 0.85 and self.earlier:
            words[at] = f"[{word}](/posts/{self.rng.choice(self.earlier)}/)"
        else:
            words[at] = f"[{word}]({self.rng.choice(SITES)})"
        return " ".join(words) + "."

    def paragraph(self, sentences: int = 0) -> str:
        count = sentences or self.rng.randint(4, 7)
        return " ".join(self.inline() if self.rng.random() < 0.4 else
                        self.sentence() for _ in range(count))

    def heading(self) -> str:
        pick = self.rng.choice
        text = f"{pick(ADVERBS)} {pick(VERBS)} {pick(ADJECTIVES)} {pick(NOUNS)}s"
        return text[0].upper() + text[1:]

    def bullet_list(self) -> str:
        items = [f"- {self.inline()}" for _ in range(self.rng.randint(4, 6))]
        nested = [f"    - {self.sentence()}" for _ in range(2)]
        return "\n".join(items[:2] + nested + items[2:])

    def ordered_list(self) -> str:
        return "\n".join(f"{n}. {self.sentence()}"
                         for n in range(1, self.rng.randint(4, 6) + 1))

    def quote(self) -> str:
        return "> " + self.paragraph(2)

    def code(self) -> str:
        """Return a fenced Python block of about twenty lines."""
        rng, pick = self.rng, self.rng.choice
        name = f"{pick(VERBS).rstrip('s')}_{pick(NOUNS)}s"
        arg, other = pick(NOUNS), pick(NOUNS) + "_size"
        rate = rng.choice((0.1, 0.01, 0.001, 0.5))
        lines = [
            "```python",
            "import math",
            "",
            "",
            f"def {name}({arg}s, {other}={rng.randint(2, 64)}, rate={rate}):",
            f'    """Return {pick(ADJECTIVES)} {arg}s, one per window."""',
            "    out = []",
            f"    for start in range(0, len({arg}s), {other}):",
            f"        window = {arg}s[start:start + {other}]",
            "        total = sum(window) / max(len(window), 1)",
            f"        if total > {rng.randint(1, 9)}:",
            f"            total = math.log1p(total) * {rng.randint(2, 7)}",
            "        out.append(round(total * (1 - rate), 4))",
            "    return out",
            "",
            "",
            f"values = [{', '.join(str(rng.randint(0, 40)) for _ in range(8))}]",
            f"print({name}(values))",
            "```",
        ]
        return "\n".join(lines)

    def table(self) -> str:
        """Return a pipe table of six rows and five columns, some aligned."""
        header = "| Run | Steps | Loss | Accuracy | Note |"
        rule = "|:----|------:|-----:|:--------:|:-----|"
        rows = [
            f"| {self.rng.choice(NOUNS)}-{n} | {self.rng.randint(100, 9000)} | "
            f"{self.rng.random() * 3:.3f} | {self.rng.random() * 100:.1f}% | "
            f"{self.rng.choice(ADJECTIVES)} {self.rng.choice(NOUNS)} |"
            for n in range(1, 7)
        ]
        return "\n".join([header, rule, *rows])


def slug_of(index: int, seed: int) -> str:
    """Return the slug of post ``index`` (0-based)."""
    rng = random.Random(f"{seed}-slug-{index}")
    return f"{rng.choice(ADJECTIVES)}-{rng.choice(NOUNS)}-{index + 1:05d}"


def make_post(index: int, seed: int = 1) -> Post:
    """Compose post ``index``: fixed blocks, then paragraphs up to the target size.

    A post depends only on ``seed`` and ``index`` (its links go to earlier
    posts), so a corpus of 1,000 posts is the first 1,000 of one of 4,000.
    """
    rng = random.Random(f"{seed}-post-{index}")
    earlier = [slug_of(n, seed) for n in
               sorted(rng.sample(range(index), min(index, 8)))]
    writer = Writer(rng, earlier)
    title = writer.heading()
    tags = tuple(sorted(rng.sample(TAGS, rng.randint(2, 3))))
    summary = writer.sentence()
    blocks = [writer.paragraph()]
    extras = [writer.bullet_list, writer.code, writer.table, writer.ordered_list,
              writer.quote]
    for section in range(5):
        blocks.append(f"## {writer.heading()}")
        blocks.append(writer.paragraph())
        blocks.append(extras[section]())
        blocks.append(writer.paragraph())
        if section == 2:
            blocks.append(f"### {writer.heading()}")
            blocks.append(writer.paragraph())
    blocks.append(f"## {writer.heading()}")
    while sum(len(b) + 2 for b in blocks) < TARGET_BYTES:
        blocks.append(writer.paragraph())
    return Post(slug=slug_of(index, seed), title=f"{title} ({index + 1})",
                date=FIRST_DATE + dt.timedelta(days=index), tags=tags,
                summary=summary, body="\n\n".join(blocks) + "\n")


def make_posts(count: int, seed: int = 1) -> list[Post]:
    """Return ``count`` posts, the same for the same ``count`` and ``seed``."""
    return [make_post(index, seed) for index in range(count)]


def _yaml_list(values) -> str:
    return "[" + ", ".join(values) + "]"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, dirs_exist_ok=True)


def write_probable(posts: list[Post], dest: Path) -> None:
    """Lay out a Probable project using the repository's templates and static/."""
    _write(dest / "site.toml", "\n".join([
        f"title = {_quoted(SITE_TITLE)}",
        f"description = {_quoted(DESCRIPTION)}",
        f"base_url = {_quoted(BASE_URL)}",
        'language = "en"',
        'author = "Bench"',
        "",
        *(f'[[nav]]\nlabel = "{label}"\nurl = "{url}"\n' for label, url in (
            ("Articles", "/"), ("Tags", "/tags/"), ("Archive", "/archive/"))),
    ]))
    _copy_tree(REPO / "templates", dest / "templates")
    _copy_tree(REPO / "static", dest / "static")
    (dest / "data").mkdir(parents=True, exist_ok=True)
    for post in posts:
        _write(dest / "content" / "posts" / post.slug / "index.md", "\n".join([
            "---",
            f"title: {_quoted(post.title)}",
            f"date: {post.date.isoformat()}",
            f"summary: {_quoted(post.summary)}",
            f"tags: {_yaml_list(post.tags)}",
            "---",
            "",
            post.body,
        ]))


def _yaml_front_matter(post: Post, extra: tuple[str, ...] = ()) -> str:
    return "\n".join([
        "---",
        f"title: {_quoted(post.title)}",
        f"date: {post.date.isoformat()}",
        f"summary: {_quoted(post.summary)}",
        f"tags: {_yaml_list(post.tags)}",
        *extra,
        "---",
        "",
        post.body,
    ])


def write_hugo(posts: list[Post], dest: Path) -> None:
    """Lay out a Hugo site: content/posts/<slug>.md and a minimal layouts/."""
    _copy_tree(PEERS / "hugo" / "site", dest)
    _copy_tree(REPO / "static", dest / "static" / "static")
    for post in posts:
        _write(dest / "content" / "posts" / f"{post.slug}.md",
               _yaml_front_matter(post))


def write_eleventy(posts: list[Post], dest: Path) -> None:
    """Lay out an Eleventy input folder: posts/<slug>.md and Nunjucks layouts."""
    _copy_tree(PEERS / "eleventy" / "site", dest)
    _copy_tree(REPO / "static", dest / "static")
    for post in posts:
        _write(dest / "posts" / f"{post.slug}.md", _yaml_front_matter(post))


def write_pelican(posts: list[Post], dest: Path) -> None:
    """Lay out a Pelican project: content/posts/<slug>.md with a minimal theme."""
    _copy_tree(PEERS / "pelican" / "site", dest)
    _copy_tree(REPO / "static", dest / "content" / "static")
    for post in posts:
        _write(dest / "content" / "posts" / f"{post.slug}.md", "\n".join([
            f"Title: {post.title}",
            f"Date: {post.date.isoformat()}",
            f"Slug: {post.slug}",
            f"Tags: {', '.join(post.tags)}",
            f"Summary: {post.summary}",
            "",
            post.body,
        ]))


def write_mkdocs(posts: list[Post], dest: Path) -> None:
    """Lay out a MkDocs project: docs/posts/<slug>.md, a theme and a hook."""
    _copy_tree(PEERS / "mkdocs" / "site", dest)
    _copy_tree(REPO / "static", dest / "docs" / "static")
    for post in posts:
        _write(dest / "docs" / "posts" / f"{post.slug}.md", _yaml_front_matter(post))


WRITERS = {
    "probable": write_probable,
    "hugo": write_hugo,
    "eleventy": write_eleventy,
    "pelican": write_pelican,
    "mkdocs": write_mkdocs,
}


def write_corpus(count: int, dest: Path, seed: int = 1,
                 generators: tuple[str, ...] = GENERATORS) -> list[Post]:
    """Write a fresh project per generator under ``dest``; return the posts."""
    posts = make_posts(count, seed)
    for name in generators:
        folder = dest / name
        if folder.exists():
            shutil.rmtree(folder)
        WRITERS[name](posts, folder)
        _age(folder)
    return posts


def _age(folder: Path) -> None:
    """Give every file under ``folder`` the fixed modification time MTIME."""
    for path in folder.rglob("*"):
        os.utime(path, (MTIME, MTIME), follow_symlinks=False)


def main(argv: list[str] | None = None) -> int:
    """Write the corpus from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=BENCH / "out" / "corpus")
    parser.add_argument("--only", choices=GENERATORS, action="append",
                        help="write only this generator's project (repeatable)")
    args = parser.parse_args(argv)
    generators = tuple(args.only) if args.only else GENERATORS
    posts = write_corpus(args.posts, args.out, args.seed, generators)
    size = sum(len(p.body.encode()) for p in posts) / len(posts)
    print(f"wrote {len(posts)} posts ({size / 1024:.1f} KB of Markdown each) for "
          f"{', '.join(generators)} into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
