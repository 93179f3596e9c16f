"""The one place that knows printers: choose one, print a PDF at actual size
with that printer's calibration offset, send raw ZPL to a queue.

    from ui import printing
    printer = printing.choose_printer(parent, remember="avery-5160")   # None: cancelled
    printing.set_page_mm(printer, 215.9, 279.4)
    printing.print_pdf(pdf_bytes, printer, offset=(0.8, -0.4))         # in a job
    printing.print_labels(printer, items, "avery-5160", start_at=7)   # render + page + offset
    printing.send_labels_zpl("ZebraGK420", items, "zebra-2x1-203")     # raw, offset in dots

The label dialog, the intake page and Reports all print through here; the
CLI's ``labels --send`` uses app.printers, the Qt-free half underneath.

Printing rasterises each PDF page with pypdfium2 at the printer's own
resolution (no smoothing: bars already sit on the dot grid) and paints it 1:1
onto a full-page QPrinter whose paper is the PDF's page, so nothing is scaled.
The calibration offset moves the picture by whole printer dots, keeping bars
on the grid. A PDF printer (QPrinter.PdfFormat) is a printer like any other:
the tests print to one and read it back.
"""
from __future__ import annotations

import io

from PySide6.QtCore import QMarginsF, QRectF, QSettings, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter

from app import printers
from app.services.errors import ValidationError

REMEMBER = "printing/printer/"  # + what is printed (a template name, "report")


# --- PDF pages as images ----------------------------------------------------------------

def render_page_image(pdf_bytes: bytes, index: int, dpi: float, smooth: bool = True) -> QImage:
    """One PDF page as a grayscale QImage at ``dpi``."""
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        page = doc[index]
        bitmap = page.render(scale=dpi / 72, grayscale=True, no_smoothpath=not smooth,
                             no_smoothtext=False)
        img = bitmap.to_pil().convert("L")
    finally:
        doc.close()
    qimg = QImage(img.tobytes(), img.width, img.height, img.width, QImage.Format_Grayscale8)
    return qimg.copy()  # own the pixels: the bytes object goes away


def page_count(pdf_bytes: bytes) -> int:
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        return len(doc)
    finally:
        doc.close()


def page_size_pt(pdf_bytes: bytes, index: int = 0) -> tuple[float, float]:
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        return tuple(doc[index].get_size())
    finally:
        doc.close()


# --- which printer ------------------------------------------------------------------------

def printer_names() -> list[str]:
    """Every printer this machine knows: Qt's (the system dialog's) and the
    CUPS queues (a raw Zebra queue may have no driver Qt lists)."""
    names: list[str] = []
    try:
        from PySide6.QtPrintSupport import QPrinterInfo
        names = list(QPrinterInfo.availablePrinterNames())
    except ImportError:
        pass
    return list(dict.fromkeys(names + printers.list_queues()))


def printer_name(printer) -> str | None:
    """The name a printer's offsets are filed under; None for a PDF file or
    the unnamed default."""
    from PySide6.QtPrintSupport import QPrinter
    if printer.outputFormat() == QPrinter.PdfFormat:
        return None
    return printer.printerName() or None


def remembered(what: str) -> str | None:
    value = QSettings().value(REMEMBER + what)
    return str(value) if value else None


def remember(what: str, name: str | None) -> None:
    if name:
        QSettings().setValue(REMEMBER + what, name)


def choose_printer(parent, *, remember_as: str, preferred: str | None = None,
                   doc_name: str = "Quartermaster"):
    """The system print dialog, opened on ``preferred`` or the printer last used
    for ``remember_as``; the chosen QPrinter (remembered), or None if cancelled."""
    from PySide6.QtPrintSupport import QPrintDialog, QPrinter
    from PySide6.QtWidgets import QDialog
    printer = QPrinter(QPrinter.HighResolution)
    printer.setDocName(doc_name)
    want = preferred or remembered(remember_as)
    if want and want in printer_names():
        printer.setPrinterName(want)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {doc_name}")
    if dialog.exec() != QDialog.Accepted:
        return None
    remember(remember_as, printer_name(printer))
    return printer


def named_printer(name: str):
    """The system printer ``name``, at its own resolution; ValidationError if
    the machine does not have it (unplugged, renamed)."""
    from PySide6.QtPrintSupport import QPrinter
    printer = QPrinter(QPrinter.HighResolution)
    printer.setPrinterName(name)
    if not printer.isValid() or printer.printerName() != name:
        raise ValidationError(f"The printer {name} is not available.")
    return printer


def pdf_printer(path, dpi: int = 300):
    """A printer that writes a PDF file: what the tests print to."""
    from PySide6.QtPrintSupport import QPrinter
    printer = QPrinter(QPrinter.ScreenResolution)
    printer.setResolution(dpi)
    printer.setOutputFormat(QPrinter.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


# --- pages at actual size ---------------------------------------------------------------

def set_page_mm(printer, w_mm: float, h_mm: float, title: str = "") -> None:
    """Paper = this page, no margins, full page, nothing scaled."""
    size = QPageSize(QSizeF(min(w_mm, h_mm), max(w_mm, h_mm)), QPageSize.Millimeter, title,
                     QPageSize.ExactMatch)
    orientation = QPageLayout.Landscape if w_mm > h_mm else QPageLayout.Portrait
    printer.setFullPage(True)
    if not printer.setPageLayout(QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0),
                                             QPageLayout.Millimeter)):
        # A driver that refuses the exact size gets the nearest paper it has.
        printer.setPageSize(QPageSize(QSizeF(w_mm, h_mm), QPageSize.Millimeter, title,
                                      QPageSize.FuzzyMatch))


def set_page_pt(printer, w_pt: float, h_pt: float, title: str = "") -> None:
    set_page_mm(printer, w_pt / 72 * 25.4, h_pt / 72 * 25.4, title)


def print_pdf(pdf_bytes: bytes, printer, *, offset: tuple[float, float] = (0.0, 0.0),
              progress=None) -> int:
    """Paint each page, rendered at the printer's resolution, 1:1 onto the
    paper, moved by ``offset`` mm (+x right, +y down) rounded to whole dots.
    The paper is set from the PDF's first page unless the caller set it.
    Runs in a worker (QPainter may paint on a QPrinter outside the GUI thread).
    Returns the pages printed."""
    res = printer.resolution()
    # Above 600 dpi render at an integer fraction and let the printer repeat
    # dots: edges stay on its grid and a Letter page stays ~35 MB, not 140.
    factor = -(-res // 600)
    dpi = res / factor
    shift_x = round(offset[0] / 25.4 * res)
    shift_y = round(offset[1] / 25.4 * res)
    n = page_count(pdf_bytes)
    painter = QPainter()
    if not painter.begin(printer):
        raise ValidationError("The printer could not be opened.")
    try:
        for i in range(n):
            if progress is not None:
                if progress.cancelled:
                    break
                progress.update(i, n, f"Page {i + 1} of {n}")
            if i:
                printer.newPage()
            img = render_page_image(pdf_bytes, i, dpi, smooth=False)
            painter.drawImage(QRectF(shift_x, shift_y, img.width() * factor, img.height() * factor),
                              img)
    finally:
        painter.end()
    return n


def offset_for(printer, template: str) -> tuple[float, float]:
    """The calibration stored for this printer and label stock."""
    from reports import labels
    return labels.get_offset(template, printer_name(printer))


def print_labels(printer, items, template: str, *, offset=None, progress=None, **options) -> int:
    """Draw ``items`` on ``template`` (no offset in the drawing) and print them at
    actual size with ``offset`` (default: the printer's stored one for that
    stock). ``options`` are render_pdf's: symbology, start_at, copies, layout."""
    from reports import labels
    t = labels.get_template(template)
    buf = io.BytesIO()
    labels.render_pdf(items, buf, t.name, offset=(0.0, 0.0), **options)
    set_page_mm(printer, t.page_w, t.page_h, t.title)
    return print_pdf(buf.getvalue(), printer,
                     offset=offset_for(printer, t.name) if offset is None else offset,
                     progress=progress)


def print_calibration(printer, template: str, *, offset=None, progress=None) -> int:
    """The calibration page for ``template`` (outlines and rulers), printed with
    the offset being tried, so what is measured is what the labels will get."""
    from reports import labels
    t = labels.get_template(template)
    offset = offset_for(printer, t.name) if offset is None else offset
    buf = io.BytesIO()
    labels.calibration_pdf(t, buf, offset=offset)
    set_page_mm(printer, t.page_w, t.page_h, t.title)
    return print_pdf(buf.getvalue(), printer, progress=progress)


# --- raw ZPL --------------------------------------------------------------------------

def zebra_queues() -> list[str]:
    return printers.list_queues()


def send_zpl(text: str, queue: str) -> str:
    """Raw ZPL to a CUPS queue (``lp -d QUEUE -o raw``); lp's reply."""
    return printers.send_raw(text, queue)


def send_labels_zpl(queue: str, items, template: str, *, offset=None, **options) -> str:
    """ZPL for ``items`` with the queue's calibration (in printer dots), sent raw."""
    from reports import labels
    t = labels.get_template(template)
    if offset is None:
        offset = labels.get_offset(t.name, queue)
    options.pop("start_at", None)  # one label per page on a roll
    text = labels.render_zpl(items, t.name, offset=offset, **options)
    return send_zpl(text, queue)
