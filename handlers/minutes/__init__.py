"""Minutes: one model that every document format (txt, html, docx) is read into."""
