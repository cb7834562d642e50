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
* ``url_hard_banned_hits``, ``url_soft_banned_hits``: distinct banned words among the URL's tokens,
  ``url_banned``: the RefinedWeb verdict on words alone (>= 1 hard or >= 2 distinct soft words).

:func:`with_domain_lists` adds ``url_blocklisted`` and ``url_allowlisted`` (the host or any parent domain is
listed) and the two columns the gold rules read, which apply "the allowlist wins":
``url_blocklisted_effective`` and ``url_banned_effective``. :func:`with_url_filters` runs both steps.

Public suffixes: :data:`MULTI_LABEL_PUBLIC_SUFFIXES` is a compact hand-written list of the common multi-label
suffixes (``co.uk``, ``com.au``, ``com.sa``, ``gov.eg``, ...); every single-label TLD is a suffix implicitly.
It is an approximation of the Public Suffix List: it has no wildcard or exception rules, no suffix of three or
more labels and few private suffixes, so a host under a missing suffix gets a registered domain that is too short
(``school.pvt.k12.ma.us`` -> ``ma.us``). Only ``url_domain`` is affected: the block/allow lists match the host. For the real thing, download
https://publicsuffix.org/list/public_suffix_list.dat and pass ``suffixes=load_public_suffixes(path)``.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.gold.rules import Rule
from etl.silver.toxicity import LDNOOBW_DIR, LDNOOBW_NON_LIST_SUFFIXES, resource_files

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
HARD_BANNED_MIN_HITS = 1  # one explicit term in the URL is enough
SOFT_BANNED_MIN_HITS = 2  # softer terms ("sex", "nude", "escort") need company: one alone is often innocent
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

# --- block/allow lists ---
LIST_COMMENT_RE = r"#.*$"
# Blocklists are often hosts files ("0.0.0.0 ads.example.com"): the domain is the last field of a line.
LIST_FIELD_SPLIT_RE = r"\s+"
LIST_WILDCARD_PREFIX_RE = r"^(\*?\.)+"

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


def with_url_signals(df: DataFrame, url_col: str = "url") -> DataFrame:
    """Add the URL anatomy and banned-word columns listed in the module docstring."""
    hard, soft = banned_url_terms()
    url = F.when(F.trim(F.col(url_col)) != "", F.col(url_col))
    tokens = "__url_tokens"
    out = (
        df.withColumn("url_scheme", url_scheme(url))
        .withColumn("url_host", url_host(url))
        .withColumn("url_domain", registered_domain(F.col("url_host")))
        .withColumn("url_tld", url_tld(F.col("url_host")))
        .withColumn("url_path_depth", url_path_depth(url))
        .withColumn(tokens, F.when(url.isNotNull(), url_tokens(url)))
        .withColumn("url_hard_banned_hits", _hits(F.col(tokens), hard))
        .withColumn("url_soft_banned_hits", _hits(F.col(tokens), soft))
        .drop(tokens)
    )
    return out.withColumn(
        "url_banned",
        (F.col("url_hard_banned_hits") >= HARD_BANNED_MIN_HITS)
        | (F.col("url_soft_banned_hits") >= SOFT_BANNED_MIN_HITS),
    )


# --- block / allow lists --------------------------------------------------------------------------


def read_domain_list(spark: SparkSession, path: str) -> DataFrame:
    """One column ``domain`` (distinct, lower case) from a text list: one domain per line, ``#`` comments.

    Hosts-file lines (``0.0.0.0 ads.example.com``) and wildcard entries (``*.example.com``, ``.example.com``)
    are accepted and mean the same as ``example.com``: every entry covers its subdomains anyway.
    """
    line = F.trim(F.regexp_replace(F.col("value"), LIST_COMMENT_RE, ""))
    last_field = F.try_element_at(F.split(line, LIST_FIELD_SPLIT_RE), F.lit(-1))
    domain = F.regexp_replace(
        F.regexp_replace(F.lower(last_field), LIST_WILDCARD_PREFIX_RE, ""), _TRAILING_DOTS_RE, ""
    )
    return spark.read.text(path).select(domain.alias("domain")).where(F.col("domain") != "").distinct()


def parent_domains(host: Column) -> Column:
    """The host and each of its parent domains: ``a.b.com`` -> [a.b.com, b.com, com]."""
    labels = F.split(host, r"\.")
    n = F.size(labels)
    return F.transform(F.sequence(F.lit(1), n), lambda i: F.array_join(F.slice(labels, i, n - i + 1), "."))


def _listed_hosts(df: DataFrame, lists: DataFrame, host_col: str) -> DataFrame:
    """Per distinct host: whether it or a parent is in the block/allow list (one broadcast join, then a groupBy)."""
    hosts = df.select(F.col(host_col).alias("__host")).where(F.col("__host").isNotNull()).distinct()
    # IP addresses have no parents: an entry "1.2.3.4" must not be matched by "2.3.4" or "4".
    candidates = hosts.select(
        "__host",
        F.explode(F.when(_is_ip(F.col("__host")), F.array("__host")).otherwise(parent_domains(F.col("__host"))))
        .alias("domain"),
    )
    return (
        candidates.join(F.broadcast(lists), on="domain", how="inner")
        .groupBy("__host")
        .agg(F.max("blocked").alias("__blocked"), F.max("allowed").alias("__allowed"))
    )


def with_domain_lists(
    df: DataFrame,
    spark: SparkSession,
    blocklist_path: str | None = None,
    allowlist_path: str | None = None,
    host_col: str = "url_host",
) -> DataFrame:
    """Add ``url_blocklisted``/``url_allowlisted`` and the allowlist-aware rule columns (module docstring).

    Needs the columns of :func:`with_url_signals`. The list is broadcast (100k domains are a few MB) and joined
    with the exploded parent domains of each distinct host, so the cost grows with hosts x labels, not with the
    list. A null host gives null flags; without lists every flag is False.
    """
    missing = {host_col, "url_banned"} - set(df.columns)
    if missing:
        raise ValueError(f"with_domain_lists needs with_url_signals first (missing: {', '.join(sorted(missing))})")
    host = F.col(host_col)
    lists = [
        read_domain_list(spark, path).select(
            "domain", F.lit(kind == "blocked").alias("blocked"), F.lit(kind == "allowed").alias("allowed")
        )
        for path, kind in ((blocklist_path, "blocked"), (allowlist_path, "allowed"))
        if path
    ]
    if lists:
        listed = _listed_hosts(df, functools.reduce(DataFrame.unionByName, lists), host_col)
        out = df.join(listed, on=host == F.col("__host"), how="left").drop("__host")
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
    blocklist_path: str | None = None,
    allowlist_path: str | None = None,
) -> DataFrame:
    """:func:`with_url_signals` then :func:`with_domain_lists`: every column the URL rules read."""
    return with_domain_lists(with_url_signals(df, url_col), spark, blocklist_path, allowlist_path)


# Gold rules (family "url"), same polarity as etl.gold.rules: the document is dropped when the rule fires.
URL_RULES: tuple[Rule, ...] = (
    Rule("url", "blocklisted_domain", "url_blocklisted_effective", "==", True),
    Rule("url", "banned_word", "url_banned_effective", "==", True),
)
