"""Pydantic models of what a city declares: its agencies and their datasets.

Specs describe data, never operators or code. Every model forbids unknown fields, so a typo in a
YAML file is an error naming the field, not a silently ignored setting.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .patterns import pattern_problem

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
COLUMN_NAME = r"^[a-z][a-z0-9_]{0,62}$"
# Cells that mean "no value" in agency sheets, read as empty unless a spec says otherwise (case ignored)
MISSING_VALUES = ("-", "--", "---", "----", "N/A", "#N/A", "…", "...")
CITY_TIMEZONE = "Asia/Ho_Chi_Minh"  # Vietnam's one time zone: schedules, and the day a delivery arrived

# A column's bound: a number for numbers; an ISO date or time, or `today` (the day the delivery
# arrived, in the city's time), for dates and times.
Bound = float | date | datetime | Literal["today"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(Strict):
    """User-facing text: Vietnamese always, English where given."""

    vi: str = Field(min_length=1)
    en: str | None = None


class Frequency(StrEnum):
    """The promised update rhythm; open data must be refreshed at least quarterly (the city's KPI)."""

    hourly = "hourly"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    semiannual = "semiannual"
    annual = "annual"

    @property
    def days(self) -> float:
        return {"hourly": 1 / 24, "daily": 1, "weekly": 7, "monthly": 30, "quarterly": 90,
                "semiannual": 182, "annual": 365}[self.value]


class Domain(StrEnum):
    """Domains of the city's open-data catalogue (Decision 962/QĐ-UBND groups)."""

    land = "dat-dai"
    urban = "do-thi"
    transport = "giao-thong"
    health = "y-te"
    education = "giao-duc"
    food_safety = "an-toan-thuc-pham"
    environment = "moi-truong"
    agriculture = "nong-nghiep"
    culture_tourism = "van-hoa-du-lich"
    inspection = "thanh-tra"
    justice = "tu-phap"
    labour = "lao-dong"
    industry_trade = "cong-thuong"
    economy = "kinh-te"
    science_technology = "khoa-hoc-cong-nghe"


class Classification(StrEnum):
    open = "open"
    shared = "shared"
    restricted = "restricted"


class ColumnType(StrEnum):
    string = "string"
    integer = "integer"
    number = "number"
    boolean = "boolean"
    date = "date"
    datetime = "datetime"


class ColumnSpec(Strict):
    name: str = Field(pattern=COLUMN_NAME, description="Machine name, used in the published CSV and DataStore")
    label: Text = Field(description="Header as agencies write it; matched ignoring case, accents and spacing")
    type: ColumnType = ColumnType.string
    unit: str | None = None
    required: bool = False
    allowed_values: list[str] | None = None
    minimum: Bound | None = Field(None, description="Lowest allowed value: a number, or for dates an ISO date or `today`")
    maximum: Bound | None = Field(None, description="Highest allowed value: a number, or for dates an ISO date or `today`")
    pattern: str | None = Field(None, description="Regular expression every non-empty value must match")
    pattern_hint: Text | None = Field(None, description="The pattern in words, for the receipt ('DN-RG- then 4 digits')")
    format: Literal["phone", "mobile", "email", "tax_code", "url"] | None = Field(
        None, description="A well-known format checked for every value (đúng)")
    reference: Literal["ward_name", "ward_code"] | None = Field(
        None, description="Values must be in the city's current administrative units (vietnam-provinces)")
    public: bool = Field(False, description="Personal-looking values (phones, e-mails, ID numbers) here are meant to be public")
    missing_values: list[str] = Field(default_factory=list, description="More cells meaning 'no value' in this column "
                                      "('vắng' for an absent candidate), besides the dataset's")
    description: Text | None = None

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        problem = None if value is None else pattern_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("minimum", "maximum", mode="before")
    @classmethod
    def _bound_is_readable(cls, value):
        """One clear message for a bound that is none of the kinds (not four, one per kind tried)."""
        if isinstance(value, str) and value != "today":
            text = value.strip()
            try:
                return float(text)
            except ValueError:
                pass
            try:
                return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{value!r} is not a number, an ISO date (2020-01-31), an ISO time or `today`") from None
        return value

    @model_validator(mode="after")
    def _range_is_ordered(self) -> ColumnSpec:
        bounds = [b for b in (self.minimum, self.maximum) if b is not None]
        if not bounds:
            return self
        temporal = self.type in (ColumnType.date, ColumnType.datetime)
        if self.type not in (ColumnType.integer, ColumnType.number) and not temporal:
            raise ValueError("minimum/maximum need type integer, number, date or datetime")
        for bound in bounds:
            is_number = isinstance(bound, int | float)
            if temporal and is_number:
                raise ValueError(f"the bound of a {self.type.value} column is an ISO date (2020-01-31) or `today`, not {bound}")
            if not temporal and not is_number:
                raise ValueError(f"the bound of a {self.type.value} column is a number, not {bound!r}")
        lo, hi = self.minimum, self.maximum
        if lo is not None and hi is not None and "today" not in (lo, hi) and _as_time(lo) > _as_time(hi):
            raise ValueError(f"minimum {lo} is above maximum {hi}")
        return self


def _as_time(bound: float | date | datetime) -> float | datetime:
    """Bounds made comparable: a date as the start of its day."""
    if isinstance(bound, datetime):
        return bound.replace(tzinfo=None)
    if isinstance(bound, date):
        return datetime(bound.year, bound.month, bound.day)
    return bound


def _email(value: str, info: ValidationInfo) -> str:
    """An e-mail address, normalised (email-validator's syntax check, as pydantic's EmailStr). Not checked
    again when the registry reads back its own cache of specs it validated (``context={"validated": True}``):
    with a thousand specs that check was a tenth of every DAG-folder parse."""
    if (info.context or {}).get("validated"):
        return value
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(f"not a valid e-mail address / địa chỉ e-mail không hợp lệ: {exc}") from None


EmailAddress = Annotated[str, AfterValidator(_email)]


class Contact(Strict):
    name: str
    email: EmailAddress
    phone: str | None = None


class DropZoneSource(Strict):
    """Files an agency drops in its folder: <dropzone>/<city>/<agency>/<dataset>/."""

    kind: Literal["drop_zone"]
    pattern: str = Field("*.csv", description="Glob of the files to take, e.g. '*.csv' or '*.xlsx'")
    encoding: str | None = Field(None, description="Force an encoding (utf-8, cp1258, tcvn3, vni); detected when absent")
    sheet: str | int | None = Field(None, description="Excel sheet, by name or 0-based position; the first when absent")
    records_path: str | None = Field(None, description="JSON files: where the list of records is, e.g. 'data.items'")


class Pagination(Strict):
    """How an API splits its records over pages."""

    style: Literal["none", "page", "offset", "next_link"] = "none"
    page_param: str = "page"
    size_param: str | None = "page_size"
    offset_param: str = "offset"
    size: int = Field(100, ge=1, le=100_000)
    start: int = Field(1, description="First page number (style: page)")
    next_path: str = Field("next", description="Where the next page's URL is in a page (style: next_link), e.g. links.next")
    max_pages: int = Field(1000, ge=1)


class HeaderAuth(Strict):
    """The connection's password (a token) sent in a header, e.g. Authorization: Bearer <token>."""

    header: str = "Authorization"
    prefix: str = "Bearer "


class HttpSource(Strict):
    """An agency API: JSON or CSV over HTTP(S). Base URL and token come from an Airflow connection."""

    kind: Literal["http"]
    conn_id: str = Field(description="Airflow connection: host = base URL, password = token (never in the spec)")
    path: str = Field("", description="Appended to the connection's base URL")
    format: Literal["json", "csv"] = "json"
    records_path: str | None = Field(None, description="Where the list of records is in each JSON page, e.g. data.items")
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    pagination: Pagination = Pagination()
    auth: HeaderAuth | None = None
    timeout_s: float = Field(30, gt=0, le=600, description="Longest wait for any one answer (connect, or between bytes)")
    deadline_s: float = Field(900, gt=0, le=86_400, description="The whole fetch, every page and retry, ends within this")
    retries: int = Field(3, ge=0, le=10)


class SqlSource(Strict):
    """A query against an agency database (SQLAlchemy URL from an Airflow connection)."""

    kind: Literal["sql"]
    conn_id: str
    query: str = Field(min_length=10, description="A SELECT; read-only credentials are expected")
    watermark_column: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$",
                                         description="Incremental: only rows with a larger value than last time (a column name)")
    timeout_s: float = Field(60, gt=0, le=3600)


Source = Annotated[DropZoneSource | HttpSource | SqlSource, Field(discriminator="kind")]


class InputLimits(Strict):
    """How large and how deep a delivery may be before it is refused unread (bounded time and memory).

    The defaults fit the largest files a city really sends; a spec raises them where it must."""

    max_bytes: int = Field(1 << 30, ge=1, description="Largest delivery, in bytes (any format)")
    max_json_bytes: int = Field(256 << 20, ge=1, description="Largest JSON delivery (JSON is read whole into memory)")
    max_unpacked_bytes: int = Field(1 << 30, ge=1, description="XLSX: largest total of the parts read, once unzipped")
    max_zip_ratio: int = Field(100, ge=2, description="XLSX: how many times a large part (over 8 MiB unzipped) may be "
                               "packed; real sheets pack 5 to 30 times, zip bombs hundreds or thousands")
    max_rows: int = Field(5_000_000, ge=1)
    max_columns: int = Field(500, ge=1)
    max_cells: int = Field(20_000_000, ge=1, description="Excel and JSON: rows × columns (they are held as Python objects)")
    max_cell_chars: int = Field(32_767, ge=1, description="Longest cell, in characters (Excel's own limit)")
    max_depth: int = Field(32, ge=1, description="JSON: deepest nesting of lists and objects")
    max_seconds: float = Field(300, gt=0, description="Wall time to read and type the delivery")


class RowCount(Strict):
    min: int = Field(1, ge=0)
    max: int | None = None


class DatasetSpec(Strict):
    """One dataset of one agency: what it is, where it comes from, what its columns must hold."""

    id: str = Field(pattern=SLUG)
    city: str = Field(pattern=SLUG)
    agency: str = Field(pattern=SLUG)
    title: Text
    description: Text
    domain: Domain
    tags: list[str] = Field(default_factory=list)
    licence: str = Field("cc-by", description="CKAN licence id, e.g. cc-by, odc-by, other-open")
    contact: Contact
    classification: Classification = Classification.open
    update_frequency: Frequency
    source: Source
    columns: list[ColumnSpec] = Field(min_length=1)
    primary_key: list[str] = Field(default_factory=list)
    date_column: str | None = Field(None, description="Column whose newest value tells how current the data is")
    spatial: Text | None = Field(None, description="Area covered, when narrower than the city (e.g. a district)")
    source_url: str | None = Field(None, pattern=r"^https?://", description="Where the agency publishes it itself, if anywhere")
    row_count: RowCount = RowCount()
    limits: InputLimits = InputLimits()
    extra_columns: Literal["warn", "reject"] = Field(
        "warn", description="A column outside the spec: dropped with a warning on the receipt, or the file refused")
    missing_values: list[str] = Field(default_factory=lambda: list(MISSING_VALUES), description=(
        "Cells meaning 'no value' in every column, read as empty (case ignored); the city's list when absent"))
    records_by_key: str | None = Field(None, pattern=COLUMN_NAME, description=(
        "JSON: records are the values of an object keyed by code ({'20194': {...}}); the key goes to this column"))

    @property
    def key(self) -> str:
        """Unique across cities: 'danang.snnmt.rain-gauge-stations'."""
        return f"{self.city}.{self.agency}.{self.id}"

    @property
    def ckan_name(self) -> str:
        """Stable CKAN dataset name, so re-runs update instead of duplicating."""
        return f"{self.city}-{self.agency}-{self.id}"[:100]

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @model_validator(mode="after")
    def _consistent(self) -> DatasetSpec:
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"columns named twice: {', '.join(dupes)}")
        date_cols = [self.date_column] if self.date_column else []
        if self.source.kind == "sql" and self.source.watermark_column and not self.primary_key:
            raise ValueError("an incremental SQL source (watermark_column) needs a primary_key to merge new rows by")
        for field_name, cols in (("primary_key", self.primary_key), ("date_column", date_cols)):
            missing = [c for c in cols if c not in names]
            if missing:
                raise ValueError(f"{field_name} names unknown columns: {', '.join(missing)}")
        if self.classification == Classification.open and self.update_frequency.days > Frequency.quarterly.days:
            raise ValueError(
                f"update_frequency '{self.update_frequency.value}' is longer than 3 months; "
                "open data must be refreshed at least quarterly / dữ liệu mở phải cập nhật tối thiểu 3 tháng/lần"
            )
        return self


class Agency(Strict):
    code: str = Field(pattern=SLUG)
    name: Text
    email: EmailAddress | None = None
    description: Text | None = None
    image_url: str | None = Field(None, pattern=r"^https?://", description="Logo shown on the portal (optional)")
    ckan_conn_id: str | None = Field(None, description="Airflow connection with this agency's own CKAN token; "
                                     "default ckan_<city>_<agency>")

    def ckan_name(self, city: str) -> str:
        return f"{city}-{self.code}"

    def publisher_name(self, city: str) -> str:
        """The agency's own CKAN user: editor of its organization and nothing else."""
        return f"{city}-{self.code}-publisher"

    def conn_id(self, city: str) -> str:
        return self.ckan_conn_id or f"ckan_{city}_{self.code}".replace("-", "_")


class City(Strict):
    """include/datasets/<city>/city.yaml: the city and its agency registry."""

    code: str = Field(pattern=SLUG)
    name: Text
    province_code: int = Field(description="Province code in the current administrative list (vietnam-provinces)")
    missing_values: list[str] = Field(default_factory=lambda: list(MISSING_VALUES),
                                      description="Cells meaning 'no value', for every dataset that does not set its own")
    agencies: list[Agency] = Field(min_length=1)

    def agency(self, code: str) -> Agency | None:
        return next((a for a in self.agencies if a.code == code), None)
