"""Barcodes and labels (S2.6, S2.9): check digits, Code128 codes, label PDFs and ZPL. The print
queue (another domain) calls :mod:`peakguard.labels.render` and :mod:`peakguard.labels.zpl`."""
