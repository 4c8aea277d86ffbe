"""The layout parser's entry point: pages of positioned words in, header fields and line items out."""

from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal

from connectors.extraction.layout.charges import charge_lines
from connectors.extraction.layout.currency import currencies_in, detect_currency
from connectors.extraction.layout.dates import DateOrder, find_dates, infer_date_order
from connectors.extraction.layout.header import AMOUNT_ROLES, Candidate, Reading, header_candidates
from connectors.extraction.layout.items import build_lines
from connectors.extraction.layout.labels import LANGUAGE_WORDS
from connectors.extraction.layout.letter import address_block_candidates, window_candidates
from connectors.extraction.layout.numbers import dominant_decimal_separator
from connectors.extraction.layout.parties import BuyerBlock, buyer_candidates, seller_candidates, vat_candidates
from connectors.extraction.layout.table import Row, TableHeader, find_table_header, headerless_rows, read_rows
from connectors.extraction.layout.text import fold
from connectors.extraction.layout.words import Line, page_lines, span_box, span_confidence
from domain.documents import ExtractedCharge, ExtractedField, ExtractedLine, PageText

_LANGUAGE_WORDS = {language: frozenset(words.split()) for language, words in LANGUAGE_WORDS.items()}
_COMMA_LANGUAGES = frozenset({"de", "fr", "nl"})
_CONSISTENT_BONUS = 1.5  # subtotal + tax = total outweighs a surer label for any one of them
_INFERRED = 0.6  # confidence of a value computed or guessed rather than read beside its label


def detect_language(lines: Sequence[Line]) -> str:
    """`en`, `de`, `fr` or `nl`: the language whose common invoice words occur most often."""
    counts: Counter[str] = Counter()
    for line in lines:
        for token in line.tokens:
            word = fold(token.text).strip(".,:;()")
            for language, words in _LANGUAGE_WORDS.items():
                if word in words:
                    counts[language] += 1
    return counts.most_common(1)[0][0] if counts else "en"


def parse_invoice(
    pages: Sequence[PageText], *, language_hint: str | None = None
) -> tuple[dict[str, ExtractedField], list[ExtractedLine], list[ExtractedCharge]]:
    """Header fields (by name, only those found), line items and extra charges read from the words of `pages`."""
    lines_by_page = [page_lines(page) for page in pages]
    every_line = [line for lines in lines_by_page for line in lines]
    if not every_line:
        return {}, [], []
    language = language_hint or detect_language(every_line)
    texts = [line.text for line in every_line]
    decimal_separator = dominant_decimal_separator(texts) or ("," if language in _COMMA_LANGUAGES else ".")

    headers = [find_table_header(lines) for lines in lines_by_page]
    rows, table_lines = _table_rows(headers, lines_by_page, decimal_separator)
    charges = charge_lines(every_line, decimal_separator)
    rows = [row for row in rows if not any(row.line is charge.line for charge in charges)]

    # Currency first (from every mark, those beside totals counting most), as US dollars hint at
    # month-first dates; then the labelled fields again if that changed the date order.
    reading = Reading(infer_date_order(texts, language, None), decimal_separator)
    candidates = _labelled(lines_by_page, table_lines, reading)
    total_lines = [candidate.line.text for candidate in candidates if candidate.field in AMOUNT_ROLES]
    currency = detect_currency(texts, total_lines)
    order = infer_date_order(texts, language, currency)
    if order is not reading.date_order:
        candidates = _labelled(lines_by_page, table_lines, Reading(order, decimal_separator))

    blocks: list[BuyerBlock] = []
    for lines in lines_by_page:
        buyers, page_blocks = buyer_candidates(lines)
        candidates.extend(buyers)
        blocks.extend(page_blocks)
    table_top = headers[0].line.top if headers[0] else None
    candidates.extend(window_candidates(lines_by_page[0], table_top))
    candidates.extend(vat_candidates(every_line, blocks))
    candidates.extend(seller_candidates(every_line, blocks))

    fields = _choose(candidates)
    if "buyer_name" not in fields:
        seller = fields["seller_name"].value if "seller_name" in fields else None
        found = _best(address_block_candidates(lines_by_page[0], table_top, seller))
        if found:
            fields["buyer_name"] = _field(*found)
    fields.update(_inferred(fields, candidates, every_line, order))
    if currency is not None:
        on_totals = any(currency in currencies_in(text) for text in total_lines)
        fields["currency"] = ExtractedField(value=currency, confidence=0.9 if on_totals else 0.8)
    elif language in _COMMA_LANGUAGES:
        fields["currency"] = ExtractedField(value="EUR", confidence=0.4)  # no mark at all: the likeliest
    return fields, build_lines(rows, decimal_separator), [charge.charge for charge in charges]


def _labelled(
    lines_by_page: Sequence[Sequence[Line]], table_lines: Sequence[frozenset[int]], reading: Reading
) -> list[Candidate]:
    found: list[Candidate] = []
    for lines, skip in zip(lines_by_page, table_lines, strict=True):
        found.extend(header_candidates(lines, reading, skip))
    return found


def _table_rows(
    headers: Sequence[TableHeader | None], lines_by_page: Sequence[Sequence[Line]], decimal_separator: str | None
) -> tuple[list[Row], list[frozenset[int]]]:
    """The items of the table (continued on later pages under a repeated header) and each page's table lines."""
    rows: list[Row] = []
    table_lines: list[frozenset[int]] = [frozenset() for _ in lines_by_page]
    runs_on = True
    for page_index, (header, lines) in enumerate(zip(headers, lines_by_page, strict=True)):
        if header is None:
            if rows:
                break
            continue
        if rows and not runs_on:
            table_lines[page_index] = header.line_indexes
            continue
        read = read_rows(header, lines)
        rows.extend(read.rows)
        runs_on = read.runs_on
        table_lines[page_index] = read.line_indexes
    if not rows and not any(headers):
        rows = [row for lines in lines_by_page for row in headerless_rows(lines, decimal_separator)]
    return rows, table_lines


def _choose(candidates: Sequence[Candidate]) -> dict[str, ExtractedField]:
    by_field: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_field[candidate.field].append(candidate)
    fields: dict[str, ExtractedField] = {}
    for name in ("invoice_number", "issue_date", "due_date", "po_number", "buyer_name", "seller_vat_id", "seller_name"):
        buyer = fields["buyer_name"].value if name == "seller_name" and "buyer_name" in fields else None
        best = _best(by_field.get(name, []), exclude=buyer)
        if best is not None:
            fields[name] = _field(*best)
    fields.update(_choose_amounts(by_field))
    return fields


def _best(found: Sequence[Candidate], exclude: str | None = None) -> tuple[Candidate, float] | None:
    """The value with the highest score, a value found several times a little surer; ties go to the first printed."""
    scores: dict[str, float] = {}
    first: dict[str, Candidate] = {}
    for candidate in found:
        if candidate.value == exclude:
            continue
        repeated = 0.02 if candidate.value in scores else 0.0
        scores[candidate.value] = max(scores.get(candidate.value, 0.0), candidate.score) + repeated
        if candidate.value not in first or candidate.score > first[candidate.value].score:
            first[candidate.value] = candidate
    if not scores:
        return None
    value = max(scores, key=lambda key: (scores[key], -first[key].line.page.number, -first[key].line.top))
    return first[value], min(1.0, scores[value])


def _choose_amounts(by_field: dict[str, list[Candidate]]) -> dict[str, ExtractedField]:
    """Subtotal, tax and total together: a choice where subtotal + tax = total beats surer labels that disagree."""
    options: dict[str, list[Candidate | None]] = {}
    for name in AMOUNT_ROLES:
        unique: dict[str, Candidate] = {}
        for candidate in sorted(by_field.get(name, []), key=lambda candidate: -candidate.score):
            unique.setdefault(candidate.value, candidate)
        options[name] = [*list(unique.values())[:6], None]
    best: tuple[float, tuple[Candidate | None, ...]] = (0.0, (None, None, None))
    for subtotal in options["subtotal"]:
        for tax in options["tax_total"]:
            for total in options["total"]:
                chosen = (subtotal, tax, total)
                score = sum(candidate.score for candidate in chosen if candidate is not None)
                if subtotal and tax and total and Decimal(subtotal.value) + Decimal(tax.value) == Decimal(total.value):
                    score += _CONSISTENT_BONUS
                if subtotal and total and Decimal(subtotal.value) > Decimal(total.value) > 0:
                    score -= 1.0
                if score > best[0]:
                    best = (score, chosen)
    return {
        name: _field(candidate, candidate.score)
        for name, candidate in zip(AMOUNT_ROLES, best[1], strict=True)
        if candidate is not None
    }


def _inferred(
    fields: dict[str, ExtractedField], candidates: Sequence[Candidate], lines: Sequence[Line], order: DateOrder
) -> dict[str, ExtractedField]:
    """Fields computed or guessed rather than read by a label: a missing subtotal as total - tax, an unlabelled
    issue date from the invoice number's line or the top of the first page, a due date before the issue date doubted."""
    inferred: dict[str, ExtractedField] = {}
    total, tax = fields.get("total"), fields.get("tax_total")
    if "subtotal" not in fields and total and tax and total.value and tax.value:
        subtotal = Decimal(total.value) - Decimal(tax.value)
        inferred["subtotal"] = ExtractedField(value=str(subtotal), confidence=_INFERRED)
    if "issue_date" not in fields:
        number = fields.get("invoice_number")
        number_lines = [
            c.line for c in candidates if number and c.field == "invoice_number" and c.value == number.value
        ]
        first_page = lines[0].page.number
        top_lines = [line for line in lines if line.page.number == first_page and line.bottom < 0.4 * line.page.height]
        for line in [*number_lines[:1], *top_lines]:
            dates = find_dates(line.text, order)
            if dates:
                box = line.page.box(line.tokens[0].x0, line.top, line.tokens[-1].x1, line.bottom)
                inferred["issue_date"] = ExtractedField(value=dates[0].iso, confidence=0.5, box=box)
                break
    due = fields.get("due_date")
    issue = inferred.get("issue_date") or fields.get("issue_date")
    if due and issue and due.value and issue.value and due.value < issue.value:
        inferred["due_date"] = due.model_copy(update={"confidence": min(due.confidence, 0.4)})
    return inferred


def _field(candidate: Candidate, score: float) -> ExtractedField:
    confidence = round(min(0.95, 0.9 * score) * span_confidence(candidate.tokens), 4)
    return ExtractedField(
        value=candidate.value, confidence=confidence, box=span_box(candidate.line.page, candidate.tokens)
    )
