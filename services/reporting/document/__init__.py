"""Periodic report documents (báo cáo 6 tháng, 9 tháng, năm, nhiệm kỳ) written from the figures.

`numbers` formats figures the Vietnamese way, `model` is what a report consists of, `content`
composes a report from a summary and `results` writes its section I, sentence by sentence from
the figures (all pure), `render_docx` and `render_html` lay the same content out as a
Word document (Nghị định 30/2020/NĐ-CP, Phụ lục I) and as a web page, `store` keeps report
numbers, the sections the secretary types and the documents attached to filings, `service`
writes a unit's report from its summary (and the document a filing attaches), and `api`
serves them (`responses`: as a Word document or a page).
"""
