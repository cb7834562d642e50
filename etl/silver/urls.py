"""URL signals for silver: host, registered domain, TLD, path depth, banned words, block/allow lists.

RefinedWeb (and datatrove's ``URLFilter``) filters pages by URL before looking at the text; the Arabic
101B-word recipe does the same. Everything here is native Spark SQL, so it runs in the JVM and never throws:
Spark 4 has ANSI mode on, which makes ``parse_url`` and ``element_at`` raise on bad input, so URLs are taken
apart with ``regexp_extract`` (which returns "" when nothing matches) and arrays are read with ``try_`` functions.
A None, empty or unparsable URL gives nulls in every column, and a null signal never fires a gold rule.

Columns added by :func:`with_url_signals`:

* ``url_scheme`` (lower case), ``url_host`` (the full host: lower case, no userinfo, no port, no trailing dot,
  ``www.`` kept, because a blocklist may list ``www.example.com`` itself; IPv6 keeps its brackets),
* ``url_domain``: the registered domain ("eTLD+1": ``news.bbc.co.uk`` -> ``bbc.co.uk``); the host itself for an
  IP address; null when the host is itself a public suffix,
* ``url_tld``: the last label of the host (null for IP addresses), ``url_path_depth``: non-empty path segments,
* ``url_hard_banned_hits``: distinct URL tokens that hold a hard-banned word, whole or glued inside the token
  (``egysex``... ``xnxxyouporn`` -> "porn"), RefinedWeb style, minus the allow-list (Scunthorpe hits, see
  :data:`BANNED_ALLOWLIST_PATH`); ``url_soft_banned_hits``: distinct tokens that ARE a soft-banned word,
  ``url_banned``: the RefinedWeb verdict on words alone (>= 1 hard or >= 2 distinct soft words).

:func:`with_domain_lists` adds ``url_blocklisted`` and ``url_allowlisted`` (the host or any parent domain is
listed) and the two columns the gold rules read, which apply "the allowlist wins":
``url_blocklisted_effective`` and ``url_banned_effective``. :func:`with_url_filters` runs both steps.
Lists may be plain or gzipped text, several at once, and the bundled UT1 categories (RefinedWeb's blocklist,
CC BY-SA 4.0, see ``etl/resources/ut1/ATTRIBUTION.md``). The adult category (4.6M domains) is not bundled; where
there is internet, fetch the full current lists (adult included) with the one command in :func:`ut1_list_paths`
and ``docs/url_filters.md``.

Public suffixes: :data:`MULTI_LABEL_PUBLIC_SUFFIXES` is a compact hand-written list of the common multi-label
suffixes (``co.uk``, ``com.au``, ``com.sa``, ``gov.eg``, ...); every single-label TLD is a suffix implicitly.
It is an approximation of the Public Suffix List: it has no wildcard or exception rules, no suffix of three or
more labels and few private suffixes, so a host under a missing suffix gets a registered domain that is too short
(``school.pvt.k12.ma.us`` -> ``ma.us``). Only ``url_domain`` is affected: the block/allow lists match the host. For the real thing, download
https://publicsuffix.org/list/public_suffix_list.dat and pass ``suffixes=load_public_suffixes(path)``.
"""

from __future__ import annotations

import functools
import gzip
import os
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from etl import bundled
from etl.catalog import URL_BANNED_MIN_WEIGHT, URL_BANNED_WORD_WEIGHTS
from etl.config import REFINEDWEB_UT1_CATEGORIES
from etl.silver.toxicity import LDNOOBW_DIR, LDNOOBW_NON_LIST_SUFFIXES, resource_files
from etl.spark import persist_or_checkpoint

# --- URL anatomy (Java regex syntax; regexp_extract returns "" when the pattern does not match) ---
# scheme://authority: the scheme must start with a letter (RFC 3986); anything else is not a URL we can read.
_SCHEME_RE = r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)://"
# The authority runs to the first "/", "?", "#" or "\"; whitespace inside it makes the host invalid (null).
_AUTHORITY_RE = _SCHEME_RE + r"([^/?#\\]*)"
_PATH_RE = _AUTHORITY_RE + r"([^?#\s]*)"
_USERINFO_RE = r"^.*@"
_IPV6_RE = r"^(\[[0-9a-f:.]+\])"
_PORT_RE = r":[^:]*$"
_TRAILING_DOTS_RE = r"\.+$"
# A host is dot-separated labels of letters (any script, for IDNs), digits, marks, "-" and "_".
_HOST_OK_RE = r"^[\p{L}\p{N}\p{M}_\-]+(\.[\p{L}\p{N}\p{M}_\-]+)*$"
_IPV4_RE = r"^\d{1,3}(\.\d{1,3}){3}$"
# URL tokens for banned words, as datatrove's URLFilter: split on anything that is not a letter or digit.
# Marks belong to the word (Arabic harakat, Devanagari vowel signs), as they do in etl.silver.toxicity.
_TOKEN_SPLIT_RE = r"[^\p{L}\p{N}\p{M}]+"

# --- banned words (RefinedWeb URL filter) ---
# One explicit term in the URL is enough; softer terms ("sex", "nude", "escort") need company, one alone is often
# innocent: the weights and the minimum are the catalog's (URL_BANNED_WORD_WEIGHTS, gold's url:banned_word rule).
# Soft terms shorter than this are dropped: in URLs they are mostly other words (tr "am", pt "cu", en "xx").
MIN_SOFT_TERM_CHARS = 3
# Hard-banned: explicit sexual terms, sex-site vocabulary and slurs that have (almost) no innocent reading in a
# URL, in the languages of the LDNOOBW lists. Every term must occur in some LDNOOBW list (a test checks it);
# all other single-token LDNOOBW terms are soft-banned.
HARD_BANNED_TERMS: tuple[str, ...] = (
    # en
    "porn", "porno", "pornography", "xxx", "fuck", "fucking", "motherfucker", "blowjob", "handjob", "footjob",
    "rimjob", "cumshot", "cumshots", "creampie", "gangbang", "bukkake", "hentai", "milf", "pussy", "cunt",
    "dildo", "deepthroat", "camwhore", "camslut", "livesex", "sexcam", "pthc", "jailbait", "shemale",
    "upskirt", "bestiality", "beastiality", "zoophilia", "nigger", "faggot",
    # other LDNOOBW languages
    "ficken", "fotze", "arschficker",  # de
    "salope",  # fr
    "chupapollas",  # es
    "pompino",  # it
    "caralho",  # pt
    "pizda",  # cs, pl, ru (transliterated)
    "orospu",  # tr
    "پورن", "پورنو",  # fa: porn
    "نيك", "متناك", "متناكة", "شرموطة", "قحبة",  # ar: vulgar for intercourse, and "whore"
)
# Hard terms are also found INSIDE tokens (glued host names: egysex.net, xnxxyouporn.com), except these, which match
# whole tokens only because, glued, they are mostly innocent. Measured on the Debian word lists (wamerican, wbritish,
# wngerman, wfrench, wspanish, witalian, wbrazilian, wpolish, hunspell-ar) and UT1's lists; see docs/url_filters.md.
WHOLE_TOKEN_HARD_TERMS: frozenset[str] = frozenset({
    "نيك",  # inside 14 stems of the Arabic dictionary: ميكانيكا, نيكوتين, يونيكود, تكنيكي, كلينيكي, نيكل, نيكاراغوا
    "milf",  # UT1 adult URLs: 1 more hit glued; innocent hosts: milford, emilfrey (a car dealer), milfoy, milfam
    "pthc",  # English "depth" + "c...": depthchart, depthcharge; no glued hit in any UT1 list
})
# A token made only of Roman-numeral letters is a number ("xxxix" = 39, "lxxx" = 80), not "xxx" glued to something.
ROMAN_NUMERAL_TOKEN_RE = r"^[ivxlcdm]+$"
# Wherever an allow-list entry occurs inside a token it is replaced by this (a non-letter), so a hard term cannot be
# found across the blank ("mil" + "ford") and the entry cannot hide a hard term glued to it elsewhere in the token.
ALLOWLIST_BLANK = " "
# Scunthorpe-type exceptions for the substring match, one per line, "#" comments (each entry's evidence is there).
BANNED_ALLOWLIST_PATH = bundled.resource(bundled.URL_BANNED, "allowlist.txt")

# --- block/allow lists ---
LIST_COMMENT_RE = r"#.*$"
# Blocklists are often hosts files ("0.0.0.0 ads.example.com"): the domain is the last field of a line.
LIST_FIELD_SPLIT_RE = r"\s+"
LIST_WILDCARD_PREFIX_RE = r"^(\*?\.)+"
# Several list paths may be given as one comma-separated string (a config value) or as a list.
LIST_PATH_SEPARATOR = ","
# Lists with at most this many entries are broadcast (one hash probe per row, no shuffle); bigger ones are joined by
# a plain shuffle (sort-merge) join. Why (bench/bench_urls.py, docs/url_filters.md): the 260k bundled UT1 domains
# broadcast in a few seconds, but a broadcast of 5M (generated) domains grew past 1.1 GB, did not fit the memory
# store of a 2g driver and spilled to disk; it would also be copied to every executor. UT1 adult is 4.6M.
BROADCAST_MAX_DOMAINS = 1_000_000
# Broadcast lookups are keyed by a host's last labels: two, because "co.uk" or "github.io" entries must be found
# too, and more labels would leave every two-label entry (most of UT1) without a key.
PROBE_KEY_LABELS = 2

# --- UT1 blocklists (RefinedWeb's URL blocklist) ---
# The ten UT1 categories RefinedWeb built its 4.6M-domain blocklist from (Penedo et al. 2023).
UT1_BUNDLED_DIR = bundled.resource(bundled.UT1)  # <category>/domains.gz, all but adult (see ATTRIBUTION.md there)
UT1_LIST_FILE = "domains"
UT1_DIR_ENV = "ETL_UT1_DIR"
# Where the full current lists go when fetched (docs/url_filters.md); $ETL_UT1_DIR overrides it.
UT1_FETCHED_DIR = Path(__file__).resolve().parents[2] / ".cache" / "ut1"
UT1_TARBALL_URL = "https://dsi.ut-capitole.fr/blacklists/download/blacklists.tar.gz"

# Compact stand-in for the Public Suffix List (see the module docstring): common multi-label ICANN suffixes,
# weighted towards the Arabic-speaking countries this project targets, and a few big hosting suffixes.
MULTI_LABEL_PUBLIC_SUFFIXES: frozenset[str] = frozenset("""
co.uk org.uk me.uk ltd.uk plc.uk net.uk ac.uk gov.uk nhs.uk police.uk
com.au net.au org.au edu.au gov.au asn.au id.au
co.nz net.nz org.nz ac.nz govt.nz school.nz
co.jp ne.jp or.jp ac.jp go.jp ed.jp lg.jp gr.jp
co.kr or.kr ac.kr go.kr ne.kr re.kr
com.cn net.cn org.cn gov.cn edu.cn ac.cn
com.hk org.hk net.hk edu.hk gov.hk idv.hk com.tw org.tw net.tw edu.tw gov.tw idv.tw
co.in net.in org.in gov.in ac.in edu.in res.in firm.in gen.in ind.in
com.sg net.sg org.sg edu.sg gov.sg com.my net.my org.my edu.my gov.my
co.id or.id ac.id go.id web.id sch.id net.id co.th ac.th go.th in.th or.th
com.vn net.vn org.vn edu.vn gov.vn com.ph net.ph org.ph edu.ph gov.ph
com.pk net.pk org.pk edu.pk gov.pk com.bd net.bd org.bd edu.bd gov.bd
com.br net.br org.br gov.br edu.br art.br blog.br com.ar net.ar org.ar gob.ar edu.ar
com.mx net.mx org.mx gob.mx edu.mx com.co net.co org.co gov.co edu.co
com.pe net.pe org.pe gob.pe edu.pe com.ve net.ve org.ve gob.ve com.ec gob.ec edu.ec
co.za org.za net.za gov.za ac.za edu.za co.il org.il net.il ac.il gov.il muni.il
com.tr net.tr org.tr gov.tr edu.tr bel.tr av.tr gen.tr k12.tr
com.ua net.ua org.ua gov.ua edu.ua com.pl net.pl org.pl gov.pl edu.pl
co.ke or.ke ac.ke go.ke com.ng org.ng gov.ng edu.ng co.tz or.tz ac.tz go.tz
com.sa net.sa org.sa gov.sa edu.sa med.sa pub.sa sch.sa
com.eg net.eg org.eg gov.eg edu.eg eun.eg sci.eg
co.ae net.ae org.ae gov.ae ac.ae sch.ae mil.ae
com.kw net.kw org.kw gov.kw edu.kw com.qa net.qa org.qa gov.qa edu.qa sch.qa
com.bh net.bh org.bh gov.bh edu.bh com.om net.om org.om gov.om edu.om med.om
com.jo net.jo org.jo gov.jo edu.jo sch.jo com.lb net.lb org.lb gov.lb edu.lb
com.sy net.sy org.sy gov.sy edu.sy com.iq net.iq org.iq gov.iq edu.iq
com.ye net.ye org.ye gov.ye edu.ye com.ps net.ps org.ps gov.ps edu.ps
com.ly net.ly org.ly gov.ly edu.ly com.sd net.sd org.sd gov.sd edu.sd
com.dz net.dz org.dz gov.dz edu.dz asso.dz com.tn net.tn org.tn gov.tn ens.tn
co.ma net.ma org.ma gov.ma ac.ma press.ma
blogspot.com appspot.com herokuapp.com github.io
""".split())


def load_public_suffixes(path: str | Path) -> frozenset[str]:
    """Multi-label rules of a Public Suffix List file (``public_suffix_list.dat``), for ``suffixes=``.

    Wildcard (``*.ck``) and exception (``!www.ck``) rules are skipped: the Spark expression matches exact
    suffixes only. Single-label rules are implicit (every TLD is a suffix) and are skipped too.
    """
    suffixes = set()
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        rule = line.strip().split(" ", 1)[0].lower()
        if not rule or rule.startswith(("//", "*", "!")) or "." not in rule:
            continue
        suffixes.add(rule)
    return frozenset(suffixes)


def _is_token(term: str) -> bool:
    """True when ``term`` survives URL tokenisation whole (letters, digits and marks only)."""
    return bool(term) and all(ch.isalnum() or unicodedata.category(ch).startswith("M") for ch in term)


@functools.cache
def banned_url_terms() -> tuple[frozenset[str], frozenset[str]]:
    """(hard, soft) banned URL words from every LDNOOBW list, lower case, built once per process.

    Only single-token terms are used: multi-word terms ("blue waffle") and terms with punctuation ("s&m")
    can never equal one URL token.
    """
    terms = {
        line.strip().lower()
        for path in resource_files(LDNOOBW_DIR)
        if not path.name.endswith(LDNOOBW_NON_LIST_SUFFIXES)
        for line in path.read_text(encoding="utf-8").splitlines()
    }
    single = {term for term in terms if _is_token(term)}
    hard = frozenset(HARD_BANNED_TERMS) & single
    soft = frozenset(term for term in single - hard if len(term) >= MIN_SOFT_TERM_CHARS)
    return hard, soft


# --- column functions ---------------------------------------------------------------------------


def _nonempty(col: Column) -> Column:
    """Null for "" (what regexp_extract returns when nothing matched)."""
    return F.when(col != "", col)


def url_scheme(url: Column) -> Column:
    return F.lower(_nonempty(F.regexp_extract(url, _SCHEME_RE, 1)))


def url_host(url: Column) -> Column:
    """Lower-case host without userinfo, port or trailing dots; null when missing or not a plausible host."""
    authority = F.lower(F.regexp_extract(url, _AUTHORITY_RE, 2))
    hostport = F.regexp_replace(authority, _USERINFO_RE, "")
    ipv6 = F.regexp_extract(hostport, _IPV6_RE, 1)
    host = F.when(ipv6 != "", ipv6).otherwise(
        F.regexp_replace(F.regexp_replace(hostport, _PORT_RE, ""), _TRAILING_DOTS_RE, "")
    )
    return F.when((ipv6 != "") | host.rlike(_HOST_OK_RE), host)


def _is_ip(host: Column) -> Column:
    return host.rlike(_IPV4_RE) | host.startswith("[")


def url_tld(host: Column) -> Column:
    """Last label of the host; null for IP addresses."""
    return F.when(~_is_ip(host), F.try_element_at(F.split(host, r"\."), F.lit(-1)))


def registered_domain(host: Column, suffixes: Iterable[str] = MULTI_LABEL_PUBLIC_SUFFIXES) -> Column:
    """eTLD+1 of ``host``: the longest listed suffix (or the TLD) plus one label; see the module docstring."""
    suffixes = sorted(set(suffixes))
    labels = F.split(host, r"\.")
    n = F.size(labels)
    max_labels = max((s.count(".") + 1 for s in suffixes), default=1)

    def last(k: Column) -> Column:
        return F.array_join(F.slice(labels, -k, k), ".")

    if suffixes:
        # Longest match wins, so walk k = 2.. upwards and keep the last k whose suffix is listed.
        candidates = F.sequence(F.lit(2), F.least(n, F.lit(max_labels)))
        suffix_labels = F.when(
            n >= 2,
            F.aggregate(
                candidates, F.lit(1), lambda acc, k: F.when(last(k).isin(*suffixes), k).otherwise(acc)
            ),
        ).otherwise(F.lit(1))
    else:
        suffix_labels = F.lit(1)
    domain = F.when(n > suffix_labels, last(suffix_labels + 1))
    return F.when(_is_ip(host), host).otherwise(domain)


def url_path_depth(url: Column) -> Column:
    """Number of non-empty path segments (``/a/b/`` -> 2, ``/`` -> 0); null when the URL has no authority."""
    path = F.regexp_extract(url, _PATH_RE, 3)
    depth = F.size(F.filter(F.split(path, "/"), lambda seg: seg != ""))
    return F.when(F.regexp_extract(url, _SCHEME_RE, 0) != "", depth)


def url_tokens(url: Column) -> Column:
    """Distinct lower-case letter/digit runs of the percent-decoded URL (the raw URL when decoding fails)."""
    text = F.lower(F.coalesce(F.try_url_decode(url), url))
    return F.array_distinct(F.filter(F.split(text, _TOKEN_SPLIT_RE), lambda tok: tok != ""))


def _hits(tokens: Column, terms: frozenset[str]) -> Column:
    """How many of the (distinct) tokens are in ``terms``; null when there are no tokens."""
    if not terms:
        return F.when(tokens.isNotNull(), F.lit(0))
    # IN over a literal list becomes a hash-set lookup (InSet): O(tokens) per row, whatever the list size.
    return F.when(tokens.isNotNull(), F.size(F.filter(tokens, lambda tok: tok.isin(*sorted(terms)))))


def parse_word_list(text: str) -> frozenset[str]:
    """Lower-case entries of a one-per-line list; ``#`` starts a comment. Entries that are not one URL token
    (spaces, punctuation) are dropped: they could never occur inside a token."""
    words = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(word for word in words if _is_token(word))


@functools.cache
def _bundled_banned_allowlist() -> frozenset[str]:
    return parse_word_list(BANNED_ALLOWLIST_PATH.read_text(encoding="utf-8"))


def load_banned_allowlist(extra_path: str | Path | None = None) -> frozenset[str]:
    """The bundled allow-list, plus the entries of ``extra_path`` (a local text file in the same format)."""
    extra = parse_word_list(Path(extra_path).read_text(encoding="utf-8")) if extra_path else frozenset()
    return _bundled_banned_allowlist() | extra


def _alternation(words: Iterable[str]) -> str:
    """A Java regex matching any of ``words`` (longest first, so the longest entry is blanked), quoted literally."""
    return "|".join(rf"\Q{word}\E" for word in sorted(words, key=lambda w: (-len(w), w)))


def _hard_hits(tokens: Column, hard: frozenset[str], allowlist: frozenset[str]) -> Column:
    """Distinct tokens that are a hard term or hold one inside (after blanking allow-list entries); null without
    tokens. Terms of :data:`WHOLE_TOKEN_HARD_TERMS` and Roman-numeral tokens only count as whole tokens."""
    if not hard:
        return F.when(tokens.isNotNull(), F.lit(0))
    whole = sorted(hard)
    glued = hard - WHOLE_TOKEN_HARD_TERMS
    glued_re = _alternation(glued)
    allow_re = _alternation(allowlist)

    def is_hit(tok: Column) -> Column:
        hit = tok.isin(*whole)
        if glued:
            probe = F.regexp_replace(tok, allow_re, ALLOWLIST_BLANK) if allowlist else tok
            hit = hit | (~tok.rlike(ROMAN_NUMERAL_TOKEN_RE) & probe.rlike(glued_re))
        return hit

    return F.when(tokens.isNotNull(), F.size(F.filter(tokens, is_hit)))


def with_url_signals(df: DataFrame, url_col: str = "url", banned_allowlist_path: str | None = None) -> DataFrame:
    """Add the URL anatomy and banned-word columns listed in the module docstring.

    ``banned_allowlist_path``: a local file of extra allow-list entries (same format as the bundled
    :data:`BANNED_ALLOWLIST_PATH`), for Scunthorpe hits of your own data.
    """
    hard, soft = banned_url_terms()
    allowlist = load_banned_allowlist(banned_allowlist_path)
    url = F.when(F.trim(F.col(url_col)) != "", F.col(url_col))
    tokens = "__url_tokens"
    out = (
        df.withColumn("url_scheme", url_scheme(url))
        .withColumn("url_host", url_host(url))
        .withColumn("url_domain", registered_domain(F.col("url_host")))
        .withColumn("url_tld", url_tld(F.col("url_host")))
        .withColumn("url_path_depth", url_path_depth(url))
        .withColumn(tokens, F.when(url.isNotNull(), url_tokens(url)))
        .withColumn("url_hard_banned_hits", _hard_hits(F.col(tokens), hard, allowlist))
        .withColumn("url_soft_banned_hits", _hits(F.col(tokens), soft))
        .drop(tokens)
    )
    return out.withColumn("url_banned", banned_word_weight() >= F.lit(URL_BANNED_MIN_WEIGHT))


def banned_word_weight() -> Column:
    """RefinedWeb's banned URL words as one number: the hit counts, weighted (catalog URL_BANNED_WORD_WEIGHTS)."""
    return sum(F.col(column) * F.lit(weight) for column, weight in URL_BANNED_WORD_WEIGHTS.items())


# --- block / allow lists --------------------------------------------------------------------------


def split_paths(paths: str | Sequence[str] | None) -> list[str]:
    """``"a.txt, b.txt.gz"`` or ``["a.txt", "b.txt.gz"]`` -> ``["a.txt", "b.txt.gz"]``; None or "" -> []."""
    if not paths:
        return []
    items = paths.split(LIST_PATH_SEPARATOR) if isinstance(paths, str) else paths
    return [str(item).strip() for item in items if str(item).strip()]


def _parse_list(lines: DataFrame, distinct: bool = True) -> DataFrame:
    """Column ``value`` (raw lines) -> one column ``domain`` (lower case); see :func:`read_domain_list`."""
    line = F.trim(F.regexp_replace(F.col("value"), LIST_COMMENT_RE, ""))
    last_field = F.try_element_at(F.split(line, LIST_FIELD_SPLIT_RE), F.lit(-1))
    domain = F.regexp_replace(
        F.regexp_replace(F.lower(last_field), LIST_WILDCARD_PREFIX_RE, ""), _TRAILING_DOTS_RE, ""
    )
    out = lines.select(domain.alias("domain")).where(F.col("domain") != "")
    return out.distinct() if distinct else out


def read_domain_list(spark: SparkSession, path: str | Sequence[str], distinct: bool = True) -> DataFrame:
    """One column ``domain`` (distinct, lower case) from text lists: one domain per line, ``#`` comments.

    ``path`` is one path, a comma-separated string of paths or a list of them; plain or gzipped (``.gz``: Spark's
    text reader decompresses by extension). Hosts-file lines (``0.0.0.0 ads.example.com``) and wildcard entries
    (``*.example.com``, ``.example.com``) are accepted and mean the same as ``example.com``: every entry covers
    its subdomains anyway.
    """
    paths = split_paths(path)
    if not paths:
        raise ValueError("read_domain_list needs at least one path")
    return _parse_list(spark.read.text(paths), distinct)


def ut1_list_paths(categories: Iterable[str], strict: bool = True) -> dict[str, str | Traversable]:
    """Category -> its UT1 ``domains`` list: the fetched full list (a str) if there is one, else the bundled one.

    Fetched lists are looked for in ``$ETL_UT1_DIR`` or :data:`UT1_FETCHED_DIR` (``<dir>/<category>/domains``).
    Where there is internet, this one command fetches the full current lists, adult (4.6M domains) included::

        mkdir -p .cache/ut1 && curl -fsSL https://dsi.ut-capitole.fr/blacklists/download/blacklists.tar.gz \\
            | tar -xz -C .cache/ut1 --strip-components=1

    A category found nowhere raises ValueError, except, when not ``strict``, one of RefinedWeb's: it is left out
    (the config default names adult, which is used once fetched).
    """
    fetched_dir = Path(os.environ.get(UT1_DIR_ENV) or UT1_FETCHED_DIR)
    found: dict[str, str | Traversable] = {}
    for category in categories:
        fetched = [fetched_dir / category / name for name in (UT1_LIST_FILE, UT1_LIST_FILE + ".gz")]
        bundled = UT1_BUNDLED_DIR / category / (UT1_LIST_FILE + ".gz")
        path: str | Traversable | None = next((str(p) for p in fetched if p.is_file()), None)
        if path is None and bundled.is_file():
            path = bundled
        if path is not None:
            found[category] = path
        elif strict or category not in REFINEDWEB_UT1_CATEGORIES:  # a typo must not silently apply nothing
            raise ValueError(f"UT1 category {category!r} is neither fetched ({fetched_dir}) nor bundled")
    return found


@functools.cache
def _bundled_lines(category: str) -> tuple[str, ...]:
    """The raw lines of one bundled list, read on the driver (installed, zipped or on Spark Connect alike)."""
    raw = (UT1_BUNDLED_DIR / category / (UT1_LIST_FILE + ".gz")).read_bytes()
    return tuple(gzip.decompress(raw).decode("utf-8", "replace").splitlines())


def read_ut1_categories(
    spark: SparkSession, categories: Iterable[str], strict: bool = True, distinct: bool = True
) -> DataFrame | None:
    """One column ``domain``: the union of the UT1 ``categories`` (see :func:`ut1_list_paths`); None if none."""
    files, zipped = [], []
    for category, path in ut1_list_paths(categories, strict).items():
        if isinstance(path, str):  # fetched: Spark reads it (a path every node sees when on a cluster)
            files.append(path)
        else:  # bundled: read here and shipped in the plan, since executors may not have the package's files
            zipped.append(category)
    parts = [read_domain_list(spark, files, distinct)] if files else []
    if zipped:
        import pandas as pd

        lines = [line for category in zipped for line in _bundled_lines(category)]
        parts.append(_parse_list(spark.createDataFrame(pd.DataFrame({"value": lines})), distinct))
    out = functools.reduce(DataFrame.unionByName, parts) if parts else None
    return out.distinct() if out is not None and distinct and len(parts) > 1 else out


def parent_domains(host: Column) -> Column:
    """The host and each of its parent domains: ``a.b.com`` -> [a.b.com, b.com, com]."""
    labels = F.split(host, r"\.")
    n = F.size(labels)
    return F.transform(F.sequence(F.lit(1), n), lambda i: F.array_join(F.slice(labels, i, n - i + 1), "."))


def _candidates(host: Column) -> Column:
    """The host and its parents; an IP address has no parents ("1.2.3.4" must not match an entry "2.3.4")."""
    return F.when(_is_ip(host), F.array(host)).otherwise(parent_domains(host))


def _covers(host: Column, entry: Column) -> Column:
    """The entry is the host or one of its parent domains (label boundary: "notexample.com" is not under
    "example.com"); an IP address entry only covers itself."""
    return (host == entry) | (~_is_ip(host) & host.endswith(F.concat(F.lit("."), entry)))


def _probe_key(domain: Column) -> Column:
    """The last two labels (the whole name if it has fewer): an entry covers only hosts with its own key."""
    return F.substring_index(domain, ".", -PROBE_KEY_LABELS)


def _is_suffix_entry(domain: str) -> bool:
    """An entry with fewer labels than the probe key (a TLD like "zip"): it cannot be found by key."""
    return domain.count(".") < PROBE_KEY_LABELS - 1


@functools.cache
def _bundled_suffix_entries(categories: tuple[str, ...]) -> frozenset[str]:
    """Entries of the bundled lists that are bare TLDs (none today), found without a Spark job."""
    entries = set()
    for category in categories:
        for line in _bundled_lines(category):
            fields = line.split("#", 1)[0].split()
            domain = fields[-1].lower().lstrip("*.").rstrip(".") if fields else ""
            if domain and _is_suffix_entry(domain):
                entries.add(domain)
    return frozenset(entries)


def _listed_flag(matched: Column, parents: Column, kind: str, suffix_entries: frozenset[str]) -> Column:
    """Some matched entry has flag ``kind``, or a parent of the host is one of ``suffix_entries``.

    (A function, not a loop body: PySpark reads a lambda's arity, so lambdas cannot bind loop variables by default
    arguments.)"""
    flag = F.exists(matched, lambda e: e[kind])
    if suffix_entries:
        listed = sorted(suffix_entries)
        flag = flag | F.exists(parents, lambda p: p.isin(*listed))
    return flag


def _grouped_entries(table: DataFrame) -> DataFrame:
    """The list's entries grouped by probe key (``__probe``, ``__entries``: their domain and flags)."""
    return (
        table.where(F.col("domain").contains("."))
        .groupBy(_probe_key(F.col("domain")).alias("__probe"))
        .agg(F.collect_set(F.struct("domain", "blocked", "allowed")).alias("__entries"))
    )


# The bundled lists' grouped entries of one session: (session, categories, frame).
_BUNDLED_PROBES: list[tuple[SparkSession, tuple[str, ...], DataFrame]] = []


def _bundled_probe_table(spark: SparkSession, build: Callable[[], DataFrame], categories: tuple[str, ...]
                         ) -> DataFrame:
    """The bundled lists' grouped entries, kept for the session (persisted, or a local checkpoint on serverless):
    each silver build of a long session (a notebook, the test suite) otherwise read, grouped and shipped the 260k
    domains again, 2.2-2.7 s of a build of the 194-document sample."""
    for session, kept_categories, grouped in _BUNDLED_PROBES:
        if session is spark and kept_categories == categories:
            return grouped
    grouped = persist_or_checkpoint(_grouped_entries(build()))
    _BUNDLED_PROBES[:] = [(spark, categories, grouped)]
    return grouped


def _keyed_flags(
    df: DataFrame, grouped: DataFrame, host: Column, suffix_entries: dict[str, frozenset[str]], broadcast: bool
) -> DataFrame:
    """``__blocked``/``__allowed`` with ONE join on the host's last two labels, then a scan of the list entries
    under that key (most keys hold one entry; the biggest bundled one, webflow.io, 3.6k).

    An entry covers only hosts with its own key, so the list is grouped by key (``grouped``: _grouped_entries) and
    each row probes once, and ``df`` is read once: a join against its own distinct hosts would run everything
    upstream (the Python text signals) twice. ``broadcast``: a hash probe in the same stage, no shuffle; otherwise a
    plain shuffle (sort-merge) join, so neither side has to fit in memory (AQE splits skewed keys such as
    blogspot.com).
    Bare-TLD entries ("zip"; ``suffix_entries`` by flag) have no key; they are few and are checked against the
    host's parents as literals. The key is two labels, not the registered domain: computing that for the 260k
    bundled entries took 2.5 s more per run than ``substring_index``.
    """
    out = df.withColumn("__probe", _probe_key(host)).join(
        F.broadcast(grouped) if broadcast else grouped, on="__probe", how="left"
    )
    matched = F.filter(F.coalesce(F.col("__entries"), F.array()), lambda e: _covers(host, e["domain"]))
    parents = _candidates(host)
    for kind in ("blocked", "allowed"):
        out = out.withColumn(f"__{kind}", _listed_flag(matched, parents, kind, suffix_entries[kind]))
    return out.drop("__probe", "__entries")


def _list_table(spark: SparkSession, blocks: list[str], allows: list[str],
                ut1_paths: dict[str, str | Traversable]) -> DataFrame | None:
    """Every list's entries as (domain, blocked, allowed); None without a list."""
    # No distinct per list: the broadcast side's one groupBy (collect_set) removes duplicates anyway.
    sources = [(read_domain_list(spark, paths, distinct=False), is_block)
               for paths, is_block in ((blocks, True), (allows, False)) if paths]
    ut1 = read_ut1_categories(spark, ut1_paths, strict=False, distinct=False)
    if ut1 is not None:
        sources.append((ut1, True))
    if not sources:
        return None
    return functools.reduce(DataFrame.unionByName, [
        lst.select("domain", F.lit(is_block).alias("blocked"), F.lit(not is_block).alias("allowed"))
        for lst, is_block in sources
    ])


def with_domain_lists(
    df: DataFrame,
    spark: SparkSession,
    blocklist_path: str | Sequence[str] | None = None,
    allowlist_path: str | Sequence[str] | None = None,
    host_col: str = "url_host",
    ut1_categories: Iterable[str] = (),
    broadcast_max_domains: int = BROADCAST_MAX_DOMAINS,
) -> DataFrame:
    """Add ``url_blocklisted``/``url_allowlisted`` and the allowlist-aware rule columns (module docstring).

    Needs the columns of :func:`with_url_signals`. Block and allow lists: one path, several (comma-separated or
    a list), plain or gzipped. ``ut1_categories``: bundled/fetched UT1 categories added to the blocklist; ones
    found nowhere are skipped (adult until fetched, see :func:`ut1_list_paths`). Lists up to
    ``broadcast_max_domains`` entries are broadcast, bigger ones use a shuffle join (:data:`BROADCAST_MAX_DOMAINS`,
    :func:`_keyed_flags`).
    The bundled lists alone are known to fit and need no Spark job before the real one; any other list is sized
    by one small job first. A null host gives null flags; without lists every flag is False.
    """
    missing = {host_col, "url_banned"} - set(df.columns)
    if missing:
        raise ValueError(f"with_domain_lists needs with_url_signals first (missing: {', '.join(sorted(missing))})")
    host = F.col(host_col)
    blocks, allows = split_paths(blocklist_path), split_paths(allowlist_path)
    ut1_paths = ut1_list_paths(ut1_categories, strict=False)
    fetched = [category for category, path in ut1_paths.items() if isinstance(path, str)]
    if ut1_paths and not blocks and not allows and not fetched:  # bundled only: sized in Python, no job
        suffix = _bundled_suffix_entries(tuple(ut1_paths))
        suffix_entries = {"blocked": suffix, "allowed": frozenset()}
        grouped = _bundled_probe_table(spark, lambda: _list_table(spark, blocks, allows, ut1_paths),
                                       tuple(ut1_paths))
        out = _keyed_flags(df, grouped, host, suffix_entries, broadcast=True)
    elif (table := _list_table(spark, blocks, allows, ut1_paths)) is not None:
        is_suffix = ~F.col("domain").contains(".")
        stats = table.agg(
            F.count("*").alias("n"),
            F.collect_set(F.when(is_suffix & F.col("blocked"), F.col("domain"))).alias("blocked"),
            F.collect_set(F.when(is_suffix & F.col("allowed"), F.col("domain"))).alias("allowed"),
        ).first()
        size, suffix_entries = stats["n"], {k: frozenset(stats[k]) for k in ("blocked", "allowed")}
        out = _keyed_flags(df, _grouped_entries(table), host, suffix_entries,
                           broadcast=size <= broadcast_max_domains)
    else:  # nothing to join: every known host is simply not listed
        no_flag = F.lit(None).cast("boolean")
        out = df.withColumn("__blocked", no_flag).withColumn("__allowed", no_flag)
    known = host.isNotNull()
    out = (
        out.withColumn("url_blocklisted", F.when(known, F.coalesce(F.col("__blocked"), F.lit(False))))
        .withColumn("url_allowlisted", F.when(known, F.coalesce(F.col("__allowed"), F.lit(False))))
        .drop("__blocked", "__allowed")
    )
    not_allowed = ~F.coalesce(F.col("url_allowlisted"), F.lit(False))
    return out.withColumn("url_blocklisted_effective", F.col("url_blocklisted") & not_allowed).withColumn(
        "url_banned_effective", F.col("url_banned") & not_allowed
    )


def with_url_filters(
    df: DataFrame,
    spark: SparkSession,
    url_col: str = "url",
    blocklist_path: str | Sequence[str] | None = None,
    allowlist_path: str | Sequence[str] | None = None,
    ut1_categories: Iterable[str] = (),
    banned_allowlist_path: str | None = None,
) -> DataFrame:
    """:func:`with_url_signals` then :func:`with_domain_lists`: every column the URL rules read."""
    signals = with_url_signals(df, url_col, banned_allowlist_path)
    return with_domain_lists(signals, spark, blocklist_path, allowlist_path, ut1_categories=ut1_categories)
