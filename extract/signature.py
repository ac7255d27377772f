"""Digital signatures of a PDF: the visible stamp a signing tool writes on the page, and the
PDF signature field behind it. Both are document metadata, never body text.

Almost every Vietnamese government PDF since 2020 is signed: the signing tool draws a stamp
(``Ký bởi: Ủy ban nhân dân tỉnh Quảng Ngãi`` / ``Cơ quan: Tỉnh Quảng Ngãi`` / ``Thời gian
ký: 24/01/2025 14:23:43``, or an organisation, its e-mail and a time) as the appearance of a
signature field, which the text layer then holds. On a scan that stamp is the page's whole
text layer; read as the page's text, it hides the body, which only the image holds.

A stamp is a small cluster of adjacent text-layer lines with signing labels (``Ký bởi``,
``Người ký``, ``Thời gian ký``) or with an e-mail and a time of day. The signature field
(``/FT /Sig``) gives the signing time (``/M``) and, in its PKCS#7 blob, the signer's
certificate (common name, organisation, unit, e-mail), read with ``cryptography`` (already
pinned: pdfminer.six needs it) — reading, not validating, so pyHanko's validation stack is not
needed.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field, replace

from extract.types import Signature

MAX_STAMP_LINES = 8  # a cluster of more lines is body text, whatever it holds
STAMP_GAP = 0.8  # lines of a stamp lie at most this many line heights apart

_LABEL = re.compile(r"^\s*(Ký bởi|Người ký|Cơ quan|Đơn vị|Thời gian ký|Ngày ký|Ký ngày|E-?mail)"
                    r"\s*:\s*(.*)$", re.IGNORECASE)
_LABEL_FIELDS = {"ký bởi": "signer", "người ký": "signer", "cơ quan": "organisation",
                 "đơn vị": "organisation", "thời gian ký": "time", "ngày ký": "time",
                 "ký ngày": "time", "email": "email", "e-mail": "email"}
_SIGNING_LABELS = {"ký bởi", "người ký", "thời gian ký", "ngày ký", "ký ngày"}
_EMAIL = re.compile(r"^<?[\w.+-]+@[\w-]+(?:\.[\w-]+)+>?$")
_DATE = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_OFFSET = re.compile(r"(?<![\d:])([+-])(\d{2}):?(\d{2})\b")
_TIME_LINE = re.compile(r"^[\d\s./:+-]*\d[\d\s./:+-]*$")

Box = tuple[float, float, float, float]


@dataclass
class LayerLine:
    """A line of the text layer as PyMuPDF groups it (one block, one line)."""

    text: str
    bbox: Box


@dataclass
class SignatureField:
    """A signed ``/Sig`` field of the page: where its appearance lies and what it says."""

    name: str
    rect: Box
    xref: int  # the widget's, to hide its appearance
    signed_at: str | None = None
    signer: str | None = None
    organisation: str | None = None
    unit: str | None = None
    email: str | None = None
    stamps: list[int] = field(default_factory=list)  # indexes of the stamps drawn in it


def _kind(text: str) -> str:
    """``label:<name>``, ``email``, ``time`` or ``other``."""
    m = _LABEL.match(text)
    if m:
        return "label:" + m.group(1).lower()
    if _EMAIL.match(text.strip()):
        return "email"
    if _TIME_LINE.match(text.strip()) and (_CLOCK.search(text) or _DATE.search(text)
                                           or _OFFSET.search(text)):
        return "time"
    return "other"


def _inside(box: Box, rect: Box) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return rect[0] - 1 <= cx <= rect[2] + 1 and rect[1] - 1 <= cy <= rect[3] + 1


def _area(rect: Box) -> float:
    return max(0.0, rect[2] - rect[0]) * max(0.0, rect[3] - rect[1])


def stamp_clusters(lines: list[LayerLine], fields: list[SignatureField]) -> list[list[int]]:
    """The stamps among the page's text-layer lines, each as the indexes of its lines, top
    down. Lines lying in a signature field's appearance only cluster with lines of the same
    field; a cluster is a stamp when it is small and holds a signing label, or an e-mail and
    a time."""
    owner = []
    for line in lines:
        holders = [n for n, f in enumerate(fields) if _inside(line.bbox, f.rect)]
        owner.append(min(holders, key=lambda n: _area(fields[n].rect)) if holders else -1)
    order = sorted(range(len(lines)), key=lambda i: (lines[i].bbox[1], lines[i].bbox[0]))
    parent = list(range(len(lines)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for k, i in enumerate(order):
        a = lines[i].bbox
        for j in order[k + 1:]:
            b = lines[j].bbox
            height = min(a[3] - a[1], b[3] - b[1])
            if b[1] - a[3] > STAMP_GAP * max(height, 1.0):
                break
            if owner[i] == owner[j] and min(a[2], b[2]) > max(a[0], b[0]):
                parent[find(j)] = find(i)
    clusters: dict[int, list[int]] = {}
    for i in order:
        clusters.setdefault(find(i), []).append(i)
    stamps = []
    for members in clusters.values():
        kinds = [_kind(lines[i].text) for i in members]
        signing = any(k.startswith("label:") and k[6:] in _SIGNING_LABELS for k in kinds)
        if len(members) <= MAX_STAMP_LINES and (signing or ("email" in kinds and "time" in
                                                            kinds)):
            stamps.append(members)
    return stamps


def parse_stamp(texts: list[str]) -> Signature:
    """A stamp's lines (top down) as a signature: labelled values (a value may go on over
    the next lines), unlabelled leading lines as the signer, the date and time as ISO 8601.

    >>> parse_stamp(["Ký bởi: Ủy ban nhân dân", "tỉnh Quảng Ngãi",
    ...              "Thời gian ký: 05/01/2021", "08:15:24"])
    Signature(page=0, signer='Ủy ban nhân dân tỉnh Quảng Ngãi', organisation=None, unit=None, \
email=None, signed_at='2021-01-05T08:15:24', field=None, source='stamp')
    """
    values: dict[str, list[str]] = {"signer": [], "organisation": [], "email": [], "time": []}
    current = "signer"
    for text in texts:
        kind = _kind(text)
        if kind.startswith("label:"):
            current = _LABEL_FIELDS[kind[6:]]
            value = _LABEL.match(text).group(2)
        elif kind in ("email", "time"):
            current, value = kind, text
        else:
            value = text
        if value.strip():
            values[current].append(value.strip())
    return Signature(page=0, signer=_joined(values["signer"]),
                     organisation=_joined(values["organisation"]),
                     email=(_joined(values["email"], "") or "").strip("<>") or None,
                     signed_at=_stamp_time(" ".join(values["time"])))


def _joined(parts: list[str], sep: str = " ") -> str | None:
    return " ".join(sep.join(parts).split()) or None


def _stamp_time(text: str) -> str | None:
    """``24/01/2025 14:23:43`` → ``2025-01-24T14:23:43``; ``21.03.2018 16:41:00 +07:00`` →
    ``2018-03-21T16:41:00+07:00``; a date alone → ``2018-03-21``."""
    date = _DATE.search(text)
    if not date:
        return None
    day, month, year = (int(g) for g in date.groups())
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    out = f"{year:04d}-{month:02d}-{day:02d}"
    rest = text[:date.start()] + " " + text[date.end():]
    clock = _CLOCK.search(rest)
    if clock:
        out += f"T{int(clock.group(1)):02d}:{clock.group(2)}:{clock.group(3) or '00'}"
        offset = _OFFSET.search(rest[clock.end():])
        if offset:
            out += f"{offset.group(1)}{offset.group(2)}:{offset.group(3)}"
    return out


def pdf_date(value: str) -> str | None:
    """A PDF date (``D:20250124142343+07'00'``) as ISO 8601 (``2025-01-24T14:23:43+07:00``).

    >>> pdf_date("D:20180321164100+07'00'"), pdf_date("D:20240101120000Z")
    ('2018-03-21T16:41:00+07:00', '2024-01-01T12:00:00+00:00')
    """
    m = re.match(r"D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Z+-])?(\d{2})?'?(\d{2})?",
                 value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, sign, oh, om = m.groups()
    out = f"{year}-{month or '01'}-{day or '01'}"
    if hour:
        out += f"T{hour}:{minute or '00'}:{second or '00'}"
        if sign == "Z":
            out += "+00:00"
        elif sign:
            out += f"{sign}{oh or '00'}:{om or '00'}"
    return out


def signature_fields(doc, page) -> list[SignatureField]:
    """The page's signed signature fields, with the time and the signer's certificate."""
    import pymupdf

    out = []
    for widget in page.widgets(types=[pymupdf.PDF_WIDGET_TYPE_SIGNATURE]):
        kind, value = doc.xref_get_key(widget.xref, "V")
        if kind != "xref":
            continue  # an empty field: nobody signed it
        sig = int(value.split()[0])
        when = doc.xref_get_key(sig, "M")
        found = SignatureField(widget.field_name or "", tuple(widget.rect), widget.xref,
                               pdf_date(when[1]) if when[0] == "string" else None)
        contents = re.search(r"/Contents\s*<([0-9A-Fa-f\s]+)>", doc.xref_object(sig))
        if contents:
            _read_certificate(bytes.fromhex("".join(contents.group(1).split())), found)
        out.append(found)
    return out


def _read_certificate(blob: bytes, into: SignatureField) -> None:
    """The signer's name, organisation, unit and e-mail from the end-entity certificate in a
    PKCS#7 / CMS signature (padding after the DER structure is cut off). Unreadable blobs
    leave the field as it is."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            certificates = pkcs7.load_der_pkcs7_certificates(_der(blob))
    except ValueError:
        return
    issuers = {c.issuer.rfc4514_string() for c in certificates}
    leaves = [c for c in certificates if not _is_ca(c, x509)] or certificates
    leaf = next((c for c in leaves if c.subject.rfc4514_string() not in issuers), leaves[0])

    def name(oid) -> str | None:
        values = leaf.subject.get_attributes_for_oid(oid)
        return " ".join(str(values[0].value).split()) if values else None

    into.signer = name(NameOID.COMMON_NAME)
    into.organisation = name(NameOID.ORGANIZATION_NAME)
    into.unit = name(NameOID.ORGANIZATIONAL_UNIT_NAME)
    into.email = name(NameOID.EMAIL_ADDRESS)


def _is_ca(certificate, x509) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _der(blob: bytes) -> bytes:
    """The DER structure at the start of ``blob`` (a signature's /Contents is zero-padded)."""
    if len(blob) < 2 or blob[0] != 0x30 or blob[1] == 0x80:
        return blob.rstrip(b"\0")
    if blob[1] < 0x80:
        return blob[:2 + blob[1]]
    size = blob[1] & 0x7F
    return blob[:2 + size + int.from_bytes(blob[2:2 + size], "big")]


def page_signatures(doc, page, lines: list[LayerLine]
                    ) -> tuple[list[Signature], dict[int, int | None]]:
    """The page's signatures (stamps merged with the field they are drawn in, fields
    without a stamp on their own), and the stamp lines to leave out of the page's text: line
    index → the xref of the field widget whose appearance draws it (None: drawn in the page
    itself)."""
    fields = signature_fields(doc, page) if doc.is_pdf else []
    number = page.number + 1
    out: list[Signature] = []
    stamp_lines: dict[int, int | None] = {}
    for members in stamp_clusters(lines, fields):
        stamp = parse_stamp([lines[i].text for i in members])
        holder = next((f for f in fields if all(_inside(lines[i].bbox, f.rect)
                                                 for i in members)), None)
        stamp_lines.update((i, holder.xref if holder else None) for i in members)
        if holder is None:
            out.append(replace(stamp, page=number))
            continue
        holder.stamps.append(len(out))
        out.append(replace(stamp, page=number, field=holder.name, source="stamp+field",
                           signer=stamp.signer or holder.signer,
                           organisation=stamp.organisation or holder.organisation,
                           unit=holder.unit, email=stamp.email or holder.email,
                           signed_at=holder.signed_at or stamp.signed_at))
    for f in fields:
        if not f.stamps:
            out.append(Signature(number, f.signer, f.organisation, f.unit, f.email,
                                 f.signed_at, f.name, "field"))
    return out, stamp_lines
