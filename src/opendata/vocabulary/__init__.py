"""The words users read, in Vietnamese and English, in one place, with the names the code uses for them:
the stages of a delivery (the DAG's task ids, the pipeline's functions, the CLI's verbs), what happened
to a run (the names the ledger stores, the DAG's record task and a run in one process both derive, the
CLI prints), a dataset's refresh state and content currency, the drift reconcile finds, the four
dimensions of the city's standard, and the words that mean yes and no in an agency's file. Beside this
module: ``checks`` (what the rules found and how to fix it), ``portal`` (the portal's words and colours),
``pages`` (the stewards' pages and reports), and ``export`` (the file the CKAN plugin reads). No other
module keeps a table of these words or colours (tests/test_structure.py)."""

from __future__ import annotations

from enum import StrEnum

from ..issues import Dimension


class Stage(StrEnum):
    """fetch → archive → normalise → check → publish → record: one name per stage everywhere."""

    fetch = "fetch"  # the next delivery from the source (a drop zone, an API, a database)
    archive = "archive"  # its bytes kept untouched under their sha256, before anything else
    normalise = "normalise"  # decoded, its header found, typed to the spec: a Parquet table
    check = "check"  # the rules of the standard: a scorecard, the agency's receipt, the gate
    publish = "publish"  # onto the portal with the agency's own token
    record = "record"  # the run in the ledger, whatever happened

    @property
    def label(self) -> tuple[str, str]:
        return STAGE_LABELS[self]


STAGES: tuple[Stage, ...] = tuple(Stage)  # in the order a delivery goes through them
STAGE_LABELS: dict[Stage, tuple[str, str]] = {
    Stage.fetch: ("nhận dữ liệu", "fetch"), Stage.archive: ("lưu trữ", "archive"),
    Stage.normalise: ("chuẩn hóa", "normalise"), Stage.check: ("kiểm tra chất lượng", "quality check"),
    Stage.publish: ("công bố", "publish"), Stage.record: ("ghi sổ", "record"),
}


class Outcome(StrEnum):
    published = "published"  # a new version is on the portal
    unchanged = "unchanged"  # the delivery's content is what the portal shows already
    repeat = "repeat"  # the same bytes as an earlier settled delivery: not processed twice
    quarantined = "quarantined"  # a blocking rule failed; the agency has a receipt
    unreadable = "unreadable"  # the file could not be read as its spec says
    no_delivery = "no-delivery"  # nothing new at the source
    failed = "failed"  # the platform could not finish (the portal, the archive, a bug): retried, never settled

    @property
    def label(self) -> tuple[str, str]:
        """(Vietnamese, English), as a steward says it."""
        return OUTCOME_LABELS[self]


OUTCOME_LABELS: dict[Outcome, tuple[str, str]] = {
    Outcome.published: ("đã công bố", "published"), Outcome.unchanged: ("không đổi", "unchanged"),
    Outcome.repeat: ("nộp lặp lại", "repeated delivery"), Outcome.quarantined: ("bị giữ lại", "quarantined"),
    Outcome.unreadable: ("không đọc được", "unreadable"), Outcome.no_delivery: ("không có dữ liệu mới", "nothing new"),
    Outcome.failed: ("lỗi hệ thống", "failed"),
}
FAILED = frozenset({Outcome.quarantined, Outcome.unreadable, Outcome.failed})  # the run stays red
REFRESHING = frozenset({Outcome.published, Outcome.unchanged})  # the agency keeps the dataset current
SETTLED = REFRESHING | {Outcome.quarantined, Outcome.unreadable}  # a delivery that reached one of these is done with


class RefreshState(StrEnum):
    """When the agency last delivered accepted data, against its promised frequency (quality.liveness)."""

    fresh = "fresh"
    due = "due"
    overdue = "overdue"
    delinquent = "delinquent"
    never = "never"  # not published yet


class ContentCurrency(StrEnum):
    """How recent the newest value of the spec's date column is (quality.liveness)."""

    current = "current"  # the newest value lies within the promised frequency
    stale = "stale"
    undated = "undated"  # no date column in the spec


REFRESH_LABELS: dict[RefreshState, tuple[str, str]] = {
    RefreshState.fresh: ("mới", "fresh"), RefreshState.due: ("đến hạn cập nhật", "due"),
    RefreshState.overdue: ("quá hạn", "overdue"), RefreshState.delinquent: ("quá hạn nghiêm trọng", "delinquent"),
    RefreshState.never: ("chưa công bố", "never published"),
}
# what a reminder says of a dataset in each refresh state that calls for one ("… is overdue")
REMINDER_WORDS: dict[RefreshState, tuple[str, str]] = {
    RefreshState.due: ("đến hạn cập nhật", "is due for its update"),
    RefreshState.overdue: ("đã quá hạn cập nhật", "is overdue"),
    RefreshState.delinquent: ("quá hạn nghiêm trọng", "is seriously overdue (delinquent)"),
}
CURRENCY_LABELS: dict[ContentCurrency, tuple[str, str]] = {
    ContentCurrency.current: ("nội dung mới", "content current"), ContentCurrency.stale: ("nội dung cũ", "content stale"),
    ContentCurrency.undated: ("không có cột ngày", "no date column"),
}


class DriftKind(StrEnum):
    """How a dataset's portal page differs from the ledger (pipeline.reconcile)."""

    missing = "missing"  # the ledger published it; the portal has no such dataset
    wrong_organization = "wrong_organization"
    resource_missing = "resource_missing"
    resource_extra = "resource_extra"  # a resource the platform did not make, or a second one of a role
    content = "content"  # the page's content sha256 or the DataStore's marker is not the ledger's
    rows = "rows"  # the DataStore holds another number of rows than was published
    quality = "quality"  # the scores on the page are not the ledger's
    refresh = "refresh"  # the refresh state or days on the page are not today's
    behind = "behind"  # an accepted delivery newer than the one the ledger published
    unrecorded = "unrecorded"  # on the portal, but the ledger never published it
    orphan = "orphan"  # a platform page whose dataset is not (or no longer) an open dataset of the registry
    unreachable = "unreachable"  # the agency's portal connection failed: nothing could be compared


DRIFT_LABELS: dict[DriftKind, tuple[str, str]] = {
    DriftKind.missing: ("không có trên cổng", "not on the portal"),
    DriftKind.wrong_organization: ("sai cơ quan", "in another organization"),
    DriftKind.resource_missing: ("thiếu tài nguyên", "resource missing"),
    DriftKind.resource_extra: ("tài nguyên thừa", "resource not the platform's"),
    DriftKind.content: ("nội dung khác sổ", "content differs from the ledger"),
    DriftKind.rows: ("số dòng khác sổ", "row count differs from the ledger"),
    DriftKind.quality: ("điểm khác sổ", "scores differ from the ledger"),
    DriftKind.refresh: ("tình trạng cập nhật cũ", "refresh state out of date"),
    DriftKind.behind: ("lần nộp đạt chưa được đăng", "an accepted delivery is not published"),
    DriftKind.unrecorded: ("sổ không ghi đã đăng", "not published according to the ledger"),
    DriftKind.orphan: ("không còn trong danh mục", "not in the registry"),
    DriftKind.unreachable: ("không kết nối được cổng", "portal unreachable"),
}

class DropReason(StrEnum):
    """Why a row of an agency's sheet is not carried into the table (normalise.layout); the receipt says it."""

    title = "title"  # above the header: the sheet's title block
    caption = "caption"  # under the header: column numbers or units
    total = "total"  # a total row ("Tổng cộng")
    note = "note"  # notes after the table ("Ghi chú")
    signature = "signature"  # the signing date, titles, "(Ký, ghi rõ họ tên)", names
    no_key = "no_key"  # after the data, with no value in the key or required columns


DROP_REASON_LABELS: dict[DropReason, tuple[str, str]] = {
    DropReason.title: ("tiêu đề phía trên dòng tiêu đề cột", "title rows above the header"),
    DropReason.caption: ("dòng số thứ tự cột hoặc đơn vị dưới tiêu đề cột", "column numbers or units under the header"),
    DropReason.total: ("dòng tổng cộng", "a total row"),
    DropReason.note: ("ghi chú sau bảng", "notes after the table"),
    DropReason.signature: ("phần ký tên (ngày, chức danh, chữ ký, họ tên)", "the signature block (date, titles, names)"),
    DropReason.no_key: ("dòng cuối không có giá trị ở cột mã và cột bắt buộc", "rows at the end with no key or required value"),
}

# the city's standard, in the order it is said: đúng, đủ, sạch, sống
DIMENSIONS: tuple[tuple[Dimension, str, str], ...] = (
    (Dimension.correct, "Đúng", "Correct"), (Dimension.complete, "Đủ", "Complete"),
    (Dimension.clean, "Sạch", "Clean"), (Dimension.live, "Sống", "Live"),
)
DIMENSION_NAMES: dict[str, tuple[str, str]] = {d.value: (vi, en) for d, vi, en in DIMENSIONS}

# yes and no in a boolean column, compared in lower case: with and without the Vietnamese marks
YES_WORDS = ("true", "1", "có", "co", "yes", "x", "đúng", "dung")
NO_WORDS = ("false", "0", "không", "khong", "no", "sai")


def spellings(words: tuple[str, ...]) -> list[str]:
    """Each word as typed in lower case, Capitalised and in CAPITALS (for a reader that matches exactly)."""
    return list(dict.fromkeys(v for w in words for v in (w, w.capitalize(), w.upper())))
