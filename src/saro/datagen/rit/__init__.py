"""RIT-D: settings (:mod:`.config`), the offline seed set (:mod:`.seed`), Shortest Rejection
Sampling (:mod:`.srs`) and the stage that writes RIT-D and its card (:mod:`.build`)."""
