"""Printed output: label sheets and reports, drawn with reportlab from what app/ gathers."""
