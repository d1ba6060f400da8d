"""Matchmaking: tokens, the engine and its loading, the 一月一链 / 一季一群 calendars and the rounds."""
