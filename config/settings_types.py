"""Shapes of the structured settings in ``config.settings``, for the type checker.

``settings.CHAINMAP["TERM_MONTHS"]`` is then an ``int`` and ``settings.CHAINMAP["ROTATION_ORDER"]`` a
``list[str]`` instead of ``object`` (the join of a dict's mixed values). Only types live here; the
values and their defaults stay in ``config.settings``.
"""

from __future__ import annotations

from typing import TypedDict


class ThrottleRates(TypedDict):
    map: str
    exports: str
    matching: str
    reports: str


class RestFrameworkSettings(TypedDict):
    DEFAULT_AUTHENTICATION_CLASSES: list[str]
    DEFAULT_PERMISSION_CLASSES: list[str]
    DEFAULT_RENDERER_CLASSES: list[str]
    DEFAULT_PARSER_CLASSES: list[str]
    DEFAULT_FILTER_BACKENDS: list[str]
    DEFAULT_SCHEMA_CLASS: str
    DEFAULT_PAGINATION_CLASS: str
    PAGE_SIZE: int
    MAX_PAGE_SIZE: int
    EXCEPTION_HANDLER: str
    DEFAULT_THROTTLE_RATES: ThrottleRates
    TEST_REQUEST_DEFAULT_FORMAT: str


class ChainmapSettings(TypedDict):
    ROTATION_ORDER: list[str]
    TERM_MONTHS: int
    ENTERPRISE_PAGE_SIZE: int
    SITE_URL: str


class MatchingSettings(TypedDict):
    WEIGHTS: dict[str, float]  # text, structure, region, qualification, trl
    TOP_N: int
    CLAIM_TIMEOUT_SECONDS: int
    DICTIONARY_CHECK_SECONDS: int


class ImportSettings(TypedDict):
    MAX_BYTES: int
    MAX_ROWS: int
    MAX_UNCOMPRESSED_BYTES: int
    MAX_COMPRESSION_RATIO: int
    ASYNC_ROWS: int


class ReportSettings(TypedDict):
    SITE_URL: str
    MAIL_MAX_RETRIES: int
    MAIL_BACKOFF_SECONDS: int
    SENDING_TIMEOUT_SECONDS: int
    SEND_TIME_LIMIT_SECONDS: int
    SEND_SOFT_TIME_LIMIT_SECONDS: int
    BUILD_TIMEOUT_SECONDS: int
    PRINT_TOP_N: int
    PRINT_MAX_PAIRS: int


class DiagramSettings(TypedDict):
    DOT: str
    FONT: str | None
    TIMEOUT: int
    MAX_NODES: int
    MAX_DOT_BYTES: int
    DEBOUNCE: int
    PNG_DPI: int
    PNG_MAX_INCHES: int
    ALLOW_WASM: bool
    AUTO_RENDER: bool
