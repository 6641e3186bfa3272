"""Charts of the PDF report, drawn with fpdf2's own primitives (rect, line, text) in the report's font.

Every chart reads in black-and-white print: the series differ by fill (dark, light, hatched, white,
each outlined) and carry their values as text. Each ``draw_*`` function takes a ``ReportPDF``
(``pdf.py``) whose current position has room for ``height_*`` of the same arguments (the caller
keeps a chart on one page) and leaves the position below the chart.
"""
import math

FONT = "noto"  # the family ReportPDF registers
ROW = 6.4  # one bar of a horizontal bar chart
BAR = 4.2
CAPTION = 7.5
LEGEND = 6
AXIS = 11
PAIR_ROW = 9.2  # one indicator of the paired bars (last quarter's and this quarter's)
COLUMNS = 46  # the plot of the column chart

STYLES = {
    "dark": {"fill": (70, 70, 70), "text": (255, 255, 255)},
    "light": {"fill": (200, 200, 200), "text": (0, 0, 0)},
    "hatch": {"fill": (255, 255, 255), "text": (0, 0, 0)},
    "white": {"fill": (255, 255, 255), "text": (0, 0, 0)},
}


def nice_axis(top, integers=True):
    """(axis maximum, tick step) for values up to ``top``: steps of 1, 2 or 5 times a power of ten."""
    if not top or top <= 0:
        return 1, 1
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if raw <= m * magnitude)
    if integers:
        step = max(1, round(step))
    return math.ceil(top / step - 1e-9) * step, step


def number(value):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}"


def swatch(pdf, x, y, w, h, style):
    """A filled, outlined box; ``hatch`` is white with diagonal lines."""
    pdf.set_draw_color(40, 40, 40)
    pdf.set_line_width(0.2)
    pdf.set_fill_color(*STYLES[style]["fill"])
    pdf.rect(x, y, w, h, style="DF")
    if style == "hatch" and w > 0 and h > 0:
        pdf.set_draw_color(90, 90, 90)
        pdf.set_line_width(0.15)
        step = 1.4
        c = step
        while c < w + h:  # lines going up to the right, cut to the box
            x1, y1 = (x + c, y + h) if c <= w else (x + w, y + h - (c - w))
            x2, y2 = (x, y + h - c) if c <= h else (x + c - h, y)
            pdf.line(x1, y1, x2, y2)
            c += step
        pdf.set_draw_color(40, 40, 40)
        pdf.set_line_width(0.2)


def caption(pdf, text):
    pdf.set_font(FONT, "B", 9.5)
    pdf.set_text_color(0, 0, 0)
    pdf.cell(0, CAPTION - 1.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def legend(pdf, series):
    """The series' names after their swatches, centred on one line."""
    pdf.set_font(FONT, "", 8)
    widths = [4 + 1.5 + pdf.get_string_width(name) + 6 for name, _ in series]
    x = pdf.l_margin + (pdf.epw - sum(widths)) / 2
    y = pdf.get_y()
    for (name, style), width in zip(series, widths):
        swatch(pdf, x, y + 0.8, 4, 3, style)
        pdf.set_text_color(0, 0, 0)
        pdf.text(x + 5.5, y + 3.4, name)
        x += width
    pdf.set_y(y + LEGEND)


def value_label(pdf, x, y, w, h, text, style):
    """``text`` centred in a bar segment when it fits (on a white patch over a hatch)."""
    pdf.set_font(FONT, "", 7)
    tw = pdf.get_string_width(text)
    if tw + 1.2 > w:
        return False
    tx, ty = x + (w - tw) / 2, y + h / 2 + 1.2
    if style == "hatch":
        pdf.set_fill_color(255, 255, 255)
        pdf.rect(tx - 0.5, y + h / 2 - 1.5, tw + 1, 3.2, style="F")
    pdf.set_text_color(*STYLES[style]["text"])
    pdf.text(tx, ty, text)
    pdf.set_text_color(0, 0, 0)
    return True


def x_axis(pdf, x0, y_top, y_axis, width, axis_max, step, label):
    """Grid lines, ticks and numbers along the bottom of a horizontal bar chart, and its label."""
    pdf.set_font(FONT, "", 7)
    tick = 0
    while tick <= axis_max + 1e-9:
        x = x0 + width * tick / axis_max
        pdf.set_draw_color(215, 215, 215)
        pdf.set_line_width(0.15)
        if tick:
            pdf.line(x, y_top, x, y_axis)
        pdf.set_draw_color(0, 0, 0)
        pdf.line(x, y_axis, x, y_axis + 1)
        text = number(tick)
        pdf.text(x - pdf.get_string_width(text) / 2, y_axis + 4, text)
        tick += step
    pdf.set_line_width(0.25)
    pdf.line(x0, y_top, x0, y_axis)
    pdf.line(x0, y_axis, x0 + width, y_axis)
    pdf.set_font(FONT, "", 7.5)
    pdf.text(x0 + (width - pdf.get_string_width(label)) / 2, y_axis + 8.5, label)


# -- stacked horizontal bars (coverage, tiers, problems by status) -----------------------------------------
def height_stacked(rows):
    return CAPTION + LEGEND + ROW * len(rows) + 2 + AXIS


def draw_stacked(pdf, title, series, rows, axis_label):
    """One bar per row, its segments stacked left to right.

    ``series``: [(name, style)]; ``rows``: [(label, [value per series], text at the bar's end)]."""
    caption(pdf, title)
    legend(pdf, series)
    pdf.set_font(FONT, "", 8)
    label_w = min(42, max(pdf.get_string_width(label) for label, _, _ in rows) + 3)
    pdf.set_font(FONT, "", 7.5)
    end_w = max(pdf.get_string_width(end) for _, _, end in rows) + 3
    x0 = pdf.l_margin + label_w
    width = pdf.epw - label_w - end_w
    axis_max, step = nice_axis(max(sum(values) for _, values, _ in rows))
    y_top = pdf.get_y()
    y_axis = y_top + 1 + ROW * len(rows) + 1
    x_axis(pdf, x0, y_top, y_axis, width, axis_max, step, axis_label)  # first: the grid lies under the bars
    y = y_top + 1
    for label, values, end in rows:
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(0, 0, 0)
        pdf.text(x0 - 1.5 - pdf.get_string_width(label), y + ROW / 2 + 1.3, label)
        x = x0
        bar_y = y + (ROW - BAR) / 2
        for value, (_, style) in zip(values, series):
            w = width * value / axis_max
            if value:
                swatch(pdf, x, bar_y, w, BAR, style)
                value_label(pdf, x, bar_y, w, BAR, number(value), style)
            x += w
        pdf.set_font(FONT, "", 7.5)
        pdf.set_text_color(0, 0, 0)
        pdf.text(x0 + width + 2, y + ROW / 2 + 1.2, end)
        y += ROW
    pdf.set_y(y_axis + AXIS)


# -- paired bars: this quarter next to last quarter, one scale per indicator ------------------------------
def height_pairs(rows):
    return CAPTION + LEGEND + PAIR_ROW * len(rows) + 7


def draw_pairs(pdf, title, rows, note):
    """Per indicator, last quarter's bar (hatched) over this quarter's (dark), each with its value and
    unit, and the change at the right. Each indicator has its own scale (its larger value fills the
    plot). ``rows``: [(label, this quarter, last quarter, unit, change text)]."""
    caption(pdf, title)
    legend(pdf, [("上季度", "hatch"), ("本季度", "dark")])
    pdf.set_font(FONT, "", 8)
    label_w = min(50, max(pdf.get_string_width(r[0]) for r in rows) + 3)
    change_w = 26
    x0 = pdf.l_margin + label_w
    width = pdf.epw - label_w - change_w - 22  # room for the value after the longest bar
    y = pdf.get_y()
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.25)
    pdf.line(x0, y, x0, y + PAIR_ROW * len(rows))
    for label, now, before, unit, change in rows:
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(0, 0, 0)
        pdf.text(x0 - 1.5 - pdf.get_string_width(label), y + PAIR_ROW / 2 + 1.3, label)
        top = max(float(now or 0), float(before or 0))
        for i, (value, style) in enumerate(((before, "hatch"), (now, "dark"))):
            bar_y = y + 1 + i * 3.7
            w = width * float(value) / top if value and top else 0
            if w:
                swatch(pdf, x0, bar_y, w, 3.2, style)
            pdf.set_font(FONT, "B" if style == "dark" else "", 7)
            pdf.set_text_color(0, 0, 0)
            pdf.text(x0 + w + 1.2, bar_y + 2.6, f"{number(value)}{unit if value is not None else ''}")
        pdf.set_font(FONT, "", 7.5)
        pdf.text(pdf.w - pdf.r_margin - pdf.get_string_width(change), y + PAIR_ROW / 2 + 1.3, change)
        pdf.set_draw_color(225, 225, 225)
        pdf.set_line_width(0.15)
        pdf.line(pdf.l_margin, y + PAIR_ROW, pdf.w - pdf.r_margin, y + PAIR_ROW)
        y += PAIR_ROW
    pdf.set_font(FONT, "", 7)
    pdf.set_text_color(110, 110, 110)
    pdf.text(pdf.l_margin, y + 4, note)
    pdf.set_text_color(0, 0, 0)
    pdf.set_y(y + 7)


# -- columns: loans by quarter -------------------------------------------------------------------------
def height_columns():
    return CAPTION + LEGEND + COLUMNS + 16


def draw_columns(pdf, title, series_name, columns, axis_label):
    """Vertical bars with their values on top and two lines under each.

    ``columns``: [(value, value text, first line, second line)]."""
    caption(pdf, title)
    legend(pdf, [(series_name, "light")])
    axis_max, step = nice_axis(max(float(c[0] or 0) for c in columns), integers=False)
    y_top = pdf.get_y() + 2
    y_axis = y_top + COLUMNS
    x0 = pdf.l_margin + 22
    width = pdf.epw - 44
    pdf.set_font(FONT, "", 7)
    tick = 0
    while tick <= axis_max + 1e-9:
        y = y_axis - COLUMNS * tick / axis_max
        pdf.set_draw_color(215, 215, 215)
        pdf.set_line_width(0.15)
        if tick:
            pdf.line(x0, y, x0 + width, y)
        pdf.set_draw_color(0, 0, 0)
        pdf.line(x0 - 1, y, x0, y)
        text = number(round(tick, 2))
        pdf.text(x0 - 1.8 - pdf.get_string_width(text), y + 1, text)
        tick += step
    pdf.set_line_width(0.25)
    pdf.line(x0, y_top, x0, y_axis)
    pdf.line(x0, y_axis, x0 + width, y_axis)
    pdf.set_font(FONT, "", 7.5)
    pdf.text(pdf.l_margin, y_top - 2, axis_label)
    slot = width / len(columns)
    bar_w = min(22, slot * 0.5)
    for i, (value, text, first, second) in enumerate(columns):
        x = x0 + slot * i + (slot - bar_w) / 2
        h = COLUMNS * float(value or 0) / axis_max
        if h:
            swatch(pdf, x, y_axis - h, bar_w, h, "light")
        pdf.set_font(FONT, "B", 7.5)
        pdf.set_text_color(0, 0, 0)
        pdf.text(x + (bar_w - pdf.get_string_width(text)) / 2, y_axis - h - 1.2, text)
        pdf.set_font(FONT, "", 7.5)
        for n, line in enumerate((first, second)):
            pdf.text(x + (bar_w - pdf.get_string_width(line)) / 2, y_axis + 4 + 3.8 * n, line)
    pdf.set_y(y_axis + 12)
