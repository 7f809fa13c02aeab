"""Every limit the product enforces, in one place: the core, the HTTP API, the command line and the
docs read them from here. Limits on input stop reading as soon as they are passed."""

# -- searching ----------------------------------------------------------------------------------

#: results on one page (search, similar, exports)
MAX_LIMIT = 100
#: one result's attributes in a response, as JSON; the values past it are named in `omitted`
MAX_RESULT_ATTRIBUTES_CHARS = 20_000
#: a query's result set: its best-ranked records that pass the filters (facets count over it)
RESULT_POOL = 300
#: characters in a query, after spaces are squeezed
MAX_QUERY_CHARS = 1_000
#: values one filter may hold, and all filters together
MAX_VALUES_PER_FILTER = 50
MAX_FILTER_VALUES = 200
#: capabilities one coverage report may be asked for (a query's costs up to three searches)
MAX_COVERAGE_CAPABILITIES = 20
#: of them, queries: each reads its search's whole result set, up to three pages
MAX_COVERAGE_QUERIES = 5

# -- reading files ------------------------------------------------------------------------------

#: an organisation's name; a longer one is cut, with a warning, and kept whole among its values
MAX_NAME_CHARS = 300
#: capability text embedded per record; the rest is kept and searched by keyword
MAX_TEXT_CHARS = 20_000
#: the largest cell a CSV file may hold; a larger one makes the file unreadable, with its row
MAX_CELL_CHARS = 16 * 1024 * 1024
#: an XLSX workbook's size unpacked, in all and for a sheet or its shared strings
MAX_XLSX_BYTES = 200 * 1024 * 1024
MAX_XLSX_PART_BYTES = 64 * 1024 * 1024
#: any other XML part of a workbook unpacked (styles, workbook, theme, relationships...):
#: openpyxl parses styles into Python objects, slowly for their size, so a small file could
#: stall it; such a part is refused before it is parsed (benchmarks/RESULTS.md, "Hostile files")
MAX_XLSX_XML_PART_BYTES = 4 * 1024 * 1024
#: cells one XLSX row may hold (Excel's own maximum of columns)
MAX_XLSX_ROW_CELLS = 16_384
#: columns a file may have, in its header and in any row
MAX_COLUMNS = 2_000
#: delimiters in the lines of one CSV row, counted before the row is split into fields: a row of
#: millions of empty fields would cost ~50 bytes of memory a field once split
MAX_ROW_DELIMITERS = 100_000
#: how deep a JSON value may nest; deeper parts are kept as their JSON text, with a warning
MAX_VALUE_DEPTH = 32
#: one attribute value other than a description, as text; a longer one is cut, with a warning
MAX_VALUE_CHARS = 10_000
#: a record's extra values (the columns no field is read from), as JSON text; values past it are
#: dropped, with a warning
MAX_EXTRA_CHARS = 100_000

# -- over HTTP ----------------------------------------------------------------------------------

#: any request body, unless the route reads more (uploads)
MAX_BODY_BYTES = 2 * 1024 * 1024
#: a registry or records upload, and its rows
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_UPLOAD_ROWS = 100_000
#: a JSON upload (parsed whole in memory, so smaller)
MAX_JSON_BYTES = 10 * 1024 * 1024
#: rows one POST /records/{kind} may write
MAX_WRITE_ROWS = 10_000
#: a POST /records/{kind}/delete body
MAX_DELETE_BYTES = 2 * 1024 * 1024
#: needs in one needs list sent over HTTP (each is one search)
MAX_NEEDS = 1_000
#: rows of a kept match report on one page over HTTP
MAX_REPORT_PAGE = 500
