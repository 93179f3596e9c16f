"""PySide6 6.12.0 on Python 3.11 dropped a reference to None on every
addItem/appendRow/setItem and died with `none_dealloc` after a few thousand
calls. The pin in pyproject.toml avoids it; this keeps it avoided."""
import subprocess
import sys
import textwrap


def test_twenty_thousand_item_calls_do_not_crash():
    code = textwrap.dedent("""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtWidgets import QApplication, QComboBox, QListWidget, QTableWidget, QTableWidgetItem
        from PySide6.QtGui import QStandardItemModel, QStandardItem
        app = QApplication([])
        combo = QComboBox(); lw = QListWidget(); model = QStandardItemModel()
        table = QTableWidget(5000, 1)
        for i in range(5000):
            combo.addItem(str(i)); lw.addItem(str(i)); model.appendRow(QStandardItem(str(i)))
            table.setItem(i, 0, QTableWidgetItem(str(i)))
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "ok" in out.stdout
