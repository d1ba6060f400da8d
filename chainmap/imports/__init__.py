"""Spreadsheet imports (upload → dry run → all-or-nothing apply) and exports, in one format."""
