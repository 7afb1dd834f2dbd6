"""Run once as the server starts (`panel serve --setup`): the unfiltered view is computed before anyone asks.

It renders the whole app into a throwaway document, so every section's
query lands in the shared caches (dashboard.data) and the first visitor
waits only for their own page to be drawn.
"""

from bokeh.document import Document

from dashboard.app import create_app

create_app().server_doc(Document())
