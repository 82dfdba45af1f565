"""Bounds and tolerances shared by the card parser's steps."""

MAX_CARD_BYTES = 5 * 1024 * 1024
# Longest stretch of one line that the prose patterns look at; real cards' longest lines are
# a few thousand characters (HTML tables on one line), so this loses nothing that matters.
MAX_SCAN_CHARS = 4000
# A paragraph (lines joined) is cut here: sentences about training are short.
MAX_PARAGRAPH_CHARS = 8000
# An HTML table longer than this many lines is not parsed as a table (its text is still prose).
MAX_TABLE_LINES = 3000
# Cells read from one HTML table; the largest tables in real cards (benchmark grids) hold a few
# thousand, and each cell is scanned as a sentence.
MAX_TABLE_CELLS = 20_000
MAX_DETAIL_CHARS = 300
MAX_ALTERNATIVES = 8

# "over 2T tokens" / "more than" / "at least": the figure is a floor. Labs round down to a
# round number and switch to the next round number once they pass it, so a figure much above
# 1.25x would have been stated as that next number ("over 2T" is not said of 3T).
OVER_HIGH_FACTOR = 1.25
# "about" / "approximately" / "~": the figure is rounded either way.
ABOUT_REL = 0.10
# "nearly 2T" / "almost": just below the figure.
NEARLY_LOW_FACTOR = 0.9
# A bare figure ("2T tokens") is read as rounded to its last digit but, for token and hour
# counts, no looser than this: labs quote those to a few percent ("2T" is 2.0T, not 1.5-2.5T).
EXACT_REL_CAP = 0.025
# Parameter counts are marketing sizes ("7B" for 6.74e9): at least this loose, at most 25%.
PARAM_REL_FLOOR = 0.05
PARAM_REL_CAP = 0.25
# A subject naming a size within this ratio of the hint is "about this model".
SIZE_MATCH_RATIO = 1.6
SIZE_CLOSE_RATIO = 1.15
# Training token counts below this are context lengths, batch sizes or fine-tuning sets.
MIN_TRAINING_TOKENS = 1e9
# A month is 30 days, as cards count them ("trained for two months" of about 60 days).
HOURS_PER_UNIT = {"hour": 1.0, "day": 24.0, "week": 168.0, "fortnight": 336.0, "month": 720.0, "year": 8760.0}
