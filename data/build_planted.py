"""Write data/planted/: a GENERATED WET file of ordinary-looking English pages with planted personal data and
GSM8K problems, and its truth file (what is planted where). Run once by a maintainer; the outputs are committed.

    python data/build_planted.py

Every page passes gold's quality rules on its own (tests/integration/test_privacy_refresh.py runs the refresh on it):
the prose is written for this file, the personal data is made up or taken from ranges reserved for examples where
the kind allows it (the 555-01xx phone numbers, the Visa test card), and three GSM8K test problems are copied from
../shared/data/benchmarks_decontamination (MIT) the way web pages quote them. See data/planted/PROVENANCE.md.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from etl.io.warc_writer import block_digest, conversion_headers, warcinfo_headers, write_wet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "planted"  # the truth file and its provenance
SAMPLE = ROOT / "data" / "sample"  # the WET file joins the bundled sample, so `make run` redacts and decontaminates
WET_NAME = "GENERATED-pii-and-contamination.warc.wet.gz"
TRUTH_NAME = "GENERATED-pii-and-contamination-truth.json"
GSM8K = ROOT.parent / "shared" / "data" / "benchmarks_decontamination" / "gsm8k" / "test.jsonl"
CRAWL_ID = "CC-MAIN-2099-01"  # fake on purpose, as in the other generated sets
DATE = "2099-01-01T00:00:00Z"
HOST = "https://planted-pages.example"
GSM8K_ROWS = (0, 2, 3)  # the test-set problems copied into pages (Janet's ducks, the house flip, the sprints)

# Pages: (path, text, {kind: [planted values that are personal data]}, values that look alike but are not).
PAGES: list[tuple[str, str, dict[str, list[str]], list[str]]] = [
    ("garden/newsletter-spring", """Spring newsletter of the Riverside community garden

The garden opens again on the first Saturday of April, and we would like to thank everyone who helped to clear the beds over the winter. The compost heap has never looked better, and the new rain barrels are finally connected to the shed roof.

This year we want to start a small seed library. Members can borrow a packet of seeds in spring and return a few seeds from their own harvest in the autumn. If you have old seed packets at home, please bring them to the shed on any weekend morning.

Plots are still available for new members. A full plot costs 40 dollars for the season and a half plot costs 25 dollars. To reserve one, write to our coordinator Maria Lopez at maria.lopez@riverside-garden.org or call her on (555) 234-0187 in the evening.

Volunteers who can help with the children's planting day in May should contact Tom Baker at tom.baker1978@gmail.com. He is also collecting old tools that are still in good shape.

We are grateful to the bakery on Mill Street for the bread they bring to every work day. See you in the garden!
""", {"email": ["maria.lopez@riverside-garden.org", "tom.baker1978@gmail.com"], "phone": ["(555) 234-0187"]},
     ["40 dollars", "25 dollars"]),
    ("it/helpdesk-vpn-notes", """Helpdesk notes: connecting to the office network from home

Several people asked why the new laptops cannot reach the file server when they work from home. The short answer is that the file server only listens on the office network, so you have to start the VPN first.

The VPN gateway is at 93.184.216.34, and the backup gateway is at 2606:4700:4700::1111 for those of you with an IPv6 connection at home. Once the tunnel is up, the file server answers on its internal address 192.168.10.20, and the printer on 10.0.5.17. These internal addresses will not work without the tunnel, so please do not type them into your browser at home.

If the client complains about its version, make sure you run version 10.0.19041.1 or newer. Older builds such as 4.2.1.7 cannot negotiate the new ciphers, and the update takes about five minutes.

Some people also tried the test page at 127.0.0.1 in the instructions. That address always points to your own computer, which is why it showed your own laptop instead of the server. The example address 203.0.113.15 in the manual is not a real machine either.

If nothing helps, open a ticket and mention the time you tried to connect. We keep the logs for two weeks.
""", {"ip": ["93.184.216.34", "2606:4700:4700::1111"]},
     ["192.168.10.20", "10.0.5.17", "10.0.19041.1", "4.2.1.7", "127.0.0.1", "203.0.113.15"]),
    ("shop/invoice-help", """How to pay your invoice

Thank you for your order from the Lindenhof pottery shop. Your invoice was sent on 2023-04-12 and lists every piece you ordered, the shipping costs and the total, which was 1,234.50 euros for most of the large orders this season.

You can pay by bank transfer to our account with the IBAN DE89 3704 0044 0532 0130 00 at the local savings bank. Please put the invoice number in the reference field so that we can match the payment to your order. Invoice numbers look like INV-2023-0412 and are printed at the top of the first page.

One customer sent us her card number by e-mail last week, 4111 1111 1111 1111, and asked us to charge it. Please never do this. We deleted the message, and we will never ask for card details by e-mail or on the phone.

Orders are packed on Tuesdays and Fridays. Large bowls and vases travel in double boxes, so they may take a day longer to arrive. If a piece arrives broken, send us a photo within 14 days and we will replace it.

We hope you enjoy using your new pottery as much as we enjoyed making it.
""", {"iban": ["DE89 3704 0044 0532 0130 00"], "card": ["4111 1111 1111 1111"]},
     ["2023-04-12", "1,234.50", "INV-2023-0412"]),
    ("travel/our-offices", """Our offices around the world

Travellers often ask whether they can talk to someone in their own language when plans change at the last minute. They can: our agency has small offices in six cities, and each of them is open from nine in the morning until six in the evening, local time.

In Berlin, the team speaks German and English and can be reached on +49 30 1234567. The Paris office answers on 01 23 45 67 89 and also handles bookings for Belgium and Switzerland. Our colleagues in Madrid are on 912 345 678, and they know every small hotel on the coast.

For trips to Russia, call the Moscow office on 8 (495) 123-45-67, where the staff will also help with the visa forms. The Beijing office can be reached on 138 0013 8000 for tours in China, and the Cairo office answers on 010 1234 5678 for cruises on the Nile.

Please keep in mind that the offices are closed on local public holidays. Outside office hours you can always leave a message, and someone will call you back the next working day. The fastest way to change a booking is still the form on our website.
""", {"phone": ["+49 30 1234567", "01 23 45 67 89", "912 345 678", "8 (495) 123-45-67", "138 0013 8000",
               "010 1234 5678"]}, []),
    ("blog/why-we-moved-the-bakery", """Why we moved the bakery

After eleven years on the corner of Elm Street, our bakery is moving two blocks north. The old building needs a new roof, and the owner has decided to sell it. We looked at many places over the summer before we found the new one.

The new shop is bigger, and it has a real kitchen with room for a second oven. That means we can finally bake bread in the afternoon as well as in the morning. There is also space for four small tables, so you can sit down with your coffee instead of taking it away.

Prices stay the same for now. A loaf of rye still costs 4.50, and a cinnamon roll still costs 2.75. We opened in 2012, we moved on 2023-09-01, and we hope to stay in the new place for at least another eleven years.

The move took three days. Our regular customers helped us carry the flour sacks and the old shelves, and the children from the school next door painted a welcome sign for the window. We could not have done it without them.

Thank you for staying with us. Come and see the new shop, and bring your friends.
""", {}, ["4.50", "2.75", "2012", "2023-09-01"]),
]
# GSM8K pages: (path, introduction, how the problem is quoted). The problems come from GSM8K_ROWS.
GSM8K_PAGES = [
    ("homework/duck-eggs-problem", """Homework help: a word problem about eggs

My daughter brought this problem home from school last week, and it took us a while to see that it is really three small steps. I am posting it here with the solution we found, because other parents asked about it at the school gate.

Before you read the solution, try to solve it yourself with a pencil and a piece of paper. Most children who get stuck on problems like this one do not have trouble with the sums themselves. They get lost because the question gives them several facts in a row, and they do not know which fact to use first. Reading slowly and writing down what happens to the eggs during the day helps a lot.
""", "question_and_answer"),
    ("blog/house-flipping-math", """Is flipping houses really that profitable?

Television shows make flipping houses look easy, but the numbers are rarely as simple as they seem on screen. A friend sent me the following practice question from a maths course, and I think it shows the basic idea quite well, even if real repairs always cost more than planned.
""", "question_only"),
    ("running/sprint-training", """Sprint training for beginners

Short sprints are one of the best ways to get faster, and they take much less time than a long run. Coaches often hide the weekly plan inside a small puzzle for their young athletes. Here is one of those puzzles, exactly as our coach wrote it on the board.
""", "question_lowercase"),
]
GSM8K_OUTRO = """
We worked through it slowly, writing each step on paper before moving on to the next one. The trick is to read the question twice and to underline every number before doing any sums. Once the steps are clear, the arithmetic itself is not hard at all.

If you know a better way to explain problems like this to children, please leave a comment below. We are always happy to learn from other families and teachers.
"""
# A maths page that quotes no benchmark: it must stay in gold.
OWN_PROBLEM = ("homework/our-own-apple-problem", """A word problem we made up ourselves

Our class wanted to write its own word problem instead of using one from the book. This is what the children came up with after a long discussion about their school trip to the orchard.

A farmer picks 120 apples in the morning and 80 apples in the afternoon. He keeps a quarter of them for his family and sells the rest at the market for 50 cents each. How much money does he make at the market?

The children found that the farmer picks 200 apples, keeps 50 of them and sells 150 apples, so he makes 75 dollars. They were very proud of their problem, and they want to write another one about the bus ride next week.

Writing problems is a good exercise, because the children have to think about which numbers matter and which ones do not. We recommend it to every teacher who wants a change from the textbook.
""")


def gsm8k_rows() -> list[dict]:
    lines = GSM8K.read_text(encoding="utf-8").splitlines()
    return [json.loads(lines[i]) for i in GSM8K_ROWS]


def quoted(row: dict, how: str) -> str:
    """A GSM8K problem as a page would quote it."""
    if how == "question_and_answer":
        return f"{row['question']}\n\nSolution:\n{row['answer']}\n"
    if how == "question_only":
        return f"{row['question']}\n"
    if how == "question_lowercase":  # case and spacing change; the words do not
        return "  ".join(row["question"].lower().split()) + "\n"
    raise ValueError(how)


def documents() -> list[dict]:
    """Every planted page: url, text, planted personal data per kind, look-alikes, the benchmark it copies."""
    docs = [{"url": f"{HOST}/{path}", "text": text, "pii": pii, "not_pii": not_pii, "benchmark": None}
            for path, text, pii, not_pii in PAGES]
    for (path, intro, how), row in zip(GSM8K_PAGES, gsm8k_rows()):
        docs.append({"url": f"{HOST}/{path}", "text": intro + "\n" + quoted(row, how) + GSM8K_OUTRO, "pii": {},
                     "not_pii": [], "benchmark": "gsm8k"})
    docs.append({"url": f"{HOST}/{OWN_PROBLEM[0]}", "text": OWN_PROBLEM[1], "pii": {}, "not_pii": [],
                 "benchmark": None})
    return docs


def records(docs: list[dict]):
    yield warcinfo_headers(WET_NAME, CRAWL_ID)
    for doc in docs:
        payload = doc["text"].encode("utf-8")
        record_id = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, doc['url'])}>"
        headers = conversion_headers(doc["url"], record_id, DATE, "eng",
                                     {"WARC-Block-Digest": block_digest(payload)})
        yield headers, payload


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    docs = documents()
    with open(SAMPLE / WET_NAME, "wb") as fh:
        n = write_wet(fh, records(docs))
    truth = {d["url"]: {k: d[k] for k in ("pii", "not_pii", "benchmark")} for d in docs}
    (OUT / TRUTH_NAME).write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {n - 1} documents to {SAMPLE / WET_NAME}")


if __name__ == "__main__":
    main()
