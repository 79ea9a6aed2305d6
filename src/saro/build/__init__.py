"""Dataset builders: RIT-D (:mod:`.rit`, with the offline seed set in :mod:`.seed`), OP-COT and
PP-COT preference pairs."""
